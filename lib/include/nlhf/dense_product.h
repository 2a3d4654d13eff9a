#pragma once
// y = P x for a dense n x n matrix P (an oracle call, g = P pi, when P is stored), stored in double or in
// float32, computed over fixed blocks of columns, on one thread or several.
//
// Column blocks: P is column-major, so a block of columns is one contiguous stretch of memory, read
// as a stream (blocks of rows would read n short strided pieces, measured 1.3-2x slower). Block b
// gives a partial vector y_b = P[:, block b] x[block b], and y = y_0 + y_1 + ... is summed in block
// order. The blocks depend on n only and each is computed by the same kernel whichever thread runs
// it, so the result is bit-identical for every thread count (a run's trace does not depend on how
// many cores it had).
//
// float32 storage: P is kept as float (half the bytes of double) and each entry is widened to double
// as it is read; products and sums are in double. No n x n double copy is ever made. A dense
// product at large n is limited by memory bandwidth, so this cuts its time as well as its memory.
// The answer is the double product of the float-rounded matrix (to rounding of the sum), which
// differs from the double matrix's product by at most 2^-24 sum_j |P_ij x_j| per entry (rounding to
// float moves each entry by <= 2^-24 ~ 6e-8 relative).
//
// Threads: nlhf::ParallelFor hands out column blocks, starting its threads at each Apply; worth it
// only when the product is large enough to amortize that, so Apply uses fewer threads than asked for
// small n (kDenseProductMinEntriesPerThread), and only when a core is free: on the shared 2-core
// development machine (load 3-6) two threads split the work (the calling thread's CPU time halved)
// but the wall time did not drop (0.9x at n = 8000), so 1 is the default. nlhf-sweep already runs
// one experiment per core. Allocation: none when n <= kDenseProductBlockColumns; above, one
// n x (blocks - 1) workspace of partial vectors per Apply (1/256 of P's entries).
//
// Measured (bench_core BM_DenseProduct, one run, wall time): float32 is 1.7x faster than double at
// n = 4000 and 8000 and 2.0x at n = 2000; at n = 1000 (P in cache) it is 1.2x slower. DenseProduct in
// double is within 10% of Eigen's P * x.
//
// The operator interface (P as an operator, dense being one implementation) wraps this class: it owns
// the storage and offers Apply and Entry.
#include <Eigen/Core>
#include <cstddef>

namespace nlhf {

enum class DenseStorage {
  kFloat64,  // Eigen::MatrixXd: 8 bytes per entry, the exact P
  kFloat32,  // Eigen::MatrixXf: 4 bytes per entry, P rounded to float; arithmetic in double
};

// Columns per block. Fixed (not derived from the thread count) so that results do not depend on it.
inline constexpr Eigen::Index kDenseProductBlockColumns = 256;
// A thread is given at least this many matrix entries (about 1 ms of work), so small products stay on
// the calling thread, where starting threads would cost more than it saves.
inline constexpr Eigen::Index kDenseProductMinEntriesPerThread = Eigen::Index{1} << 20;

class DenseProduct {
 public:
  // Stores P as `storage`: moved in for kFloat64; rounded entry by entry for kFloat32 (the double
  // matrix is released when the constructor returns). threads < 1 counts as 1. P must be square.
  explicit DenseProduct(Eigen::MatrixXd P, DenseStorage storage = DenseStorage::kFloat64, int threads = 1);
  // float32 storage from a float matrix (built without any n x n double). A named factory: a
  // constructor overload on MatrixXf would make DenseProduct(expression) ambiguous.
  static DenseProduct FromFloat(Eigen::MatrixXf P, int threads = 1);

  Eigen::Index n() const { return n_; }
  DenseStorage storage() const { return storage_; }
  int threads() const { return threads_; }
  // Bytes held by the matrix (n^2 * 8 or n^2 * 4).
  std::size_t bytes() const;
  // P_ij as stored (float32: the float-rounded entry, widened).
  double Entry(Eigen::Index i, Eigen::Index j) const;

  // out = P x. x has size n; out is resized to n (no allocation when it already has size n and
  // n <= kDenseProductBlockColumns). x and out must not alias.
  void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const;

  // The number of threads Apply uses: min(threads(), blocks, max(1, n^2 / min entries per thread)).
  int ThreadsUsed() const;

 private:
  void ApplyBlock(Eigen::Index block, const Eigen::VectorXd& x, double* partial) const;

  Eigen::Index n_ = 0;
  DenseStorage storage_;
  int threads_ = 1;
  Eigen::MatrixXd double_;  // kFloat64
  Eigen::MatrixXf float_;   // kFloat32
};

}  // namespace nlhf
