#pragma once
// y = M x for a dense n x n matrix M (an oracle call, g = P pi, when P is stored), stored in double or
// in float32, on one thread or several; on one thread (what games use) without allocating.
//
// Rows: M is column-major, and y is computed eight columns at a time over all of its rows (y, n
// doubles, stays in L2 while the eight column streams are read once). Threads split the ROWS: thread
// t computes y over its own range of rows from every column, so no thread writes another's entries,
// no partial vectors need summing (Apply allocates nothing), and every y_i is the same sequence of
// operations whichever thread computes it: the result is bit-identical for every thread count (a
// run's trace does not depend on how many cores it had). Measured against the earlier split of the
// columns into blocks of 256 with one partial vector per block (a prototype, one run, CPU time of the
// calling thread): within 6% at n = 2000 and 8000, in double and in float (8000: 25.6 vs 26.3 ms
// double, 20.6 vs 21.4 ms float).
//
// float32 storage: M is kept as float (half the bytes of double) and each entry is widened to double
// as it is read; products and sums are in double. No n x n double copy is ever made. A dense
// product at large n is limited by memory bandwidth, so this cuts its time as well as its memory.
// The answer is the double product of the float-rounded matrix (to rounding of the sum), which
// differs from the double matrix's product by at most 2^-24 sum_j |M_ij x_j| per entry (rounding to
// float moves each entry by <= 2^-24 relative). The float32 game (float32_operator.h) stores its
// margins A = P - 1/2 this way.
//
// Threads: nlhf::ParallelFor hands out the row ranges, starting its threads at each Apply; worth it
// only when the product is large enough to amortize that, so Apply uses fewer threads than asked for
// small n (kDenseProductMinEntriesPerThread), and only when a core is free: on the shared 2-core
// development machine (load 3-6) two threads split the work (the calling thread's CPU time halved)
// but the wall time did not drop (at n = 8000, double: 0.9x with column blocks; 1.06x and 0.83x with
// row ranges in the two runs below; float32: 0.78x and 0.95x), so 1 is the default and games use 1
// (no `threads` key). nlhf-sweep already runs one experiment per core.
//
// Measured (bench_core --benchmark_filter=DenseProduct, one run, wall time, load ~1-2 on 2 cores):
//   n = 8000: Eigen 32.0 ms, double 28.7 ms, double 2 threads 27.0 ms (1.06x), float32 12.7 ms (2.3x),
//             float32 2 threads 16.3 ms (1.8x), the float32 game's P x (BM_DenseProduct/game_f32) 16.4 ms;
//   float32 against double: 1.7x at n = 4000, 3.3x at n = 2000, 0.75x at n = 1000 (P in cache).
// A repeat at n = 8000 (3 repetitions, medians): double 24.9, double 2 threads 30.0, float32 14.7,
// float32 2 threads 15.5, game_f32 16.3, Eigen 28.7 ms; in one process with the order alternated, the
// float32 game's product is within 2% of DenseProduct's on the same floats.
#include <Eigen/Core>
#include <cstddef>
#include <new>

namespace nlhf {

enum class DenseStorage {
  kFloat64,  // 8 bytes per entry, the exact matrix
  kFloat32,  // 4 bytes per entry, the matrix rounded to float; arithmetic in double
};

// A thread is given at least this many matrix entries (about 1 ms of work), so small products stay on
// the calling thread, where starting threads would cost more than it saves.
inline constexpr Eigen::Index kDenseProductMinEntriesPerThread = Eigen::Index{1} << 20;
// Row ranges of the threads start at multiples of this (aligned vector loads and stores).
inline constexpr Eigen::Index kDenseProductRowAlignment = 8;

class DenseProduct {
 public:
  // Stores M as `storage`: moved in for kFloat64; rounded entry by entry for kFloat32 (the double
  // matrix is released when the constructor returns). threads < 1 counts as 1. M must be square.
  explicit DenseProduct(Eigen::MatrixXd M, DenseStorage storage = DenseStorage::kFloat64, int threads = 1);
  // float32 storage from a float matrix (built without any n x n double). A named factory: a
  // constructor overload on MatrixXf would make DenseProduct(expression) ambiguous.
  static DenseProduct FromFloat(Eigen::MatrixXf M, int threads = 1);
  // float32 storage that lives in the memory of a double matrix: the first n^2 floats of `buffer`
  // (column-major, written there as floats, e.g. by memcpy) are M; `buffer` must hold at least
  // 4 n^2 bytes and is kept as it is. For a caller that converts a double matrix to float in its own
  // memory and then shrinks it (float32_operator.cc): the n x n double and an n x n float are then
  // never held at once.
  static DenseProduct FromFloatsInDoubleBuffer(Eigen::MatrixXd buffer, Eigen::Index n, int threads = 1);

  Eigen::Index n() const { return n_; }
  DenseStorage storage() const { return storage_; }
  int threads() const { return threads_; }
  // Bytes held by the matrix (n^2 * 8 or n^2 * 4).
  std::size_t bytes() const;
  // M_ij as stored (float32: the float-rounded entry, widened). Inline: the descriptors read all n^2.
  double Entry(Eigen::Index i, Eigen::Index j) const {
    return storage_ == DenseStorage::kFloat64 ? double_(i, j) : static_cast<double>(FloatData()[j * n_ + i]);
  }

  // out = M x. x has size n; out is resized to n (no allocation when it already has size n). x and
  // out must not alias.
  void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const;

  // The number of threads Apply uses: min(threads(), row ranges of kDenseProductRowAlignment rows,
  // max(1, n^2 / min entries per thread)).
  int ThreadsUsed() const;

 private:
  // The floats were written into the double buffer's memory (FromFloatsInDoubleBuffer); it is read
  // only as floats from then on.
  const float* FloatData() const {
    // std::launder: the float objects there were created by memcpy, not by this pointer's type.
    return float_.size() > 0 ? float_.data() : std::launder(reinterpret_cast<const float*>(double_.data()));
  }
  void ApplyRows(Eigen::Index r0, Eigen::Index rows, const Eigen::VectorXd& x, double* y) const;

  Eigen::Index n_ = 0;
  DenseStorage storage_;
  int threads_ = 1;
  Eigen::MatrixXd double_;  // kFloat64: M; kFloat32 from FromFloatsInDoubleBuffer: the memory of M's floats
  Eigen::MatrixXf float_;   // kFloat32 otherwise
};

}  // namespace nlhf
