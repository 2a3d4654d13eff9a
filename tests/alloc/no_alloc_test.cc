// Step() of every registered solver performs no heap allocation: every buffer is sized in Reset().
// Eigen allocates with malloc, so this executable interposes malloc and friends (glibc's __libc_*
// entry points) and counts the calls made while counting is on. Under AddressSanitizer, which owns
// malloc, the test is skipped: the release suite runs it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>

#include "nlhf/generators.h"
#include "nlhf/solver.h"

#if defined(__SANITIZE_ADDRESS__)
#define NLHF_COUNT_ALLOCATIONS 0
#else
#define NLHF_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

#if NLHF_COUNT_ALLOCATIONS
namespace {
void Count() {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t size) {
  Count();
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
  Count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
  Count();
  return __libc_realloc(p, size);
}
void* memalign(std::size_t alignment, std::size_t size) {
  Count();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  Count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  Count();
  *out = __libc_memalign(alignment, size);
  return *out == nullptr ? 12 /* ENOMEM */ : 0;
}
void free(void* p) { __libc_free(p); }
}
#endif

namespace nlhf {
namespace {

class NoAllocation : public ::testing::TestWithParam<std::string> {};

TEST_P(NoAllocation, StepDoesNotAllocate) {
  if (!NLHF_COUNT_ALLOCATIONS) GTEST_SKIP() << "AddressSanitizer owns malloc; the release suite runs this check";
  // Implicit games too: their products keep their sums on the stack; and float32 games, whose
  // products split rows, not columns, so they need no partial vectors.
  for (const char* game_spec : {"random_uniform(n=10)", "random_uniform(n=600)", "low_rank_cyclic(n=600)",
                                "low_rank_disc(n=600,dim=3)", "bradley_terry(n=600,storage=implicit)",
                                "random_uniform(n=600,storage=float32)"}) {
    const Game game = MakeGame(game_spec, "softmax_normal", 0);
    auto solver = MakeSolver(GetParam());
    solver->Reset(SolverContext{&game, 0.05, {}, 0.1});
    // The counter works: a vector of this size allocates.
    g_allocations = 0;
    g_counting = true;
    { Eigen::VectorXd probe(game.n()); probe.setZero(); }
    g_counting = false;
    ASSERT_GE(g_allocations.load(), 1) << "malloc interposition is not active";
    g_allocations = 0;
    g_counting = true;
    for (int k = 0; k < 20; ++k) solver->Step();
    g_counting = false;
    EXPECT_EQ(g_allocations.load(), 0) << GetParam() << " on " << game_spec;
  }
}

// Twenty Step() calls of `spec` with a sampled or pairs oracle allocate nothing (the draws use
// buffers sized in Reset).
void ExpectSampledStepsDoNotAllocate(const std::string& spec, OracleType type, OracleSampler sampler) {
  // Implicit and float32 games too: sampled queries read their entries one at a time.
  for (const char* game_spec : {"random_uniform(n=10)", "random_uniform(n=600)", "low_rank_cyclic(n=600)",
                                "low_rank_disc(n=600,dim=3)", "bradley_terry(n=600,storage=implicit)",
                                "random_uniform(n=600,storage=float32)"}) {
    const Game game = MakeGame(game_spec, "softmax_normal", 0);
    auto solver = MakeSolver(spec);
    SolverContext context{&game, 0.05, {}, 0.1};
    context.oracle = OracleConfig{type, 64, sampler};
    context.seed = 3;
    solver->Reset(context);
    g_allocations = 0;
    g_counting = true;
    for (int k = 0; k < 20; ++k) solver->Step();
    g_counting = false;
    EXPECT_EQ(g_allocations.load(), 0) << spec << " " << context.oracle.Spec() << " on " << game_spec;
  }
}

// omd with every oracle type and sampler.
TEST(NoAllocation, SampledOmdStepDoesNotAllocate) {
  if (!NLHF_COUNT_ALLOCATIONS) GTEST_SKIP() << "AddressSanitizer owns malloc; the release suite runs this check";
  for (OracleType type : {OracleType::kSampled, OracleType::kPairs})
    for (OracleSampler sampler : {OracleSampler::kIterate, OracleSampler::kUniform, OracleSampler::kReference})
      ExpectSampledStepsDoNotAllocate("omd(reference_every=5)", type, sampler);
}

// Every solver that accepts a sampled oracle (from the registry, so a new one is covered the moment
// it says so), at its defaults, and the variants that take other code paths (every sampler is covered
// above).
TEST(NoAllocation, SampledSolverStepsDoNotAllocate) {
  if (!NLHF_COUNT_ALLOCATIONS) GTEST_SKIP() << "AddressSanitizer owns malloc; the release suite runs this check";
  std::vector<std::string> specs = OracleSolvers();
  ASSERT_FALSE(specs.empty());
  for (const char* variant : {"nash_md(schedule=constant,anchor=iterate)", "egpo(reference_every=5)"})
    specs.emplace_back(variant);
  for (const std::string& spec : specs)
    for (OracleType type : {OracleType::kSampled, OracleType::kPairs})
      ExpectSampledStepsDoNotAllocate(spec, type, OracleSampler::kIterate);
}

// Every solver, plus the variants that take other code paths.
std::vector<std::string> Configurations() {
  std::vector<std::string> out = SolverRegistry().Names();
  for (const char* extra : {"nash_md(schedule=constant)", "nash_md(schedule=constant,anchor=iterate)",
                            "nash_mp(reference_gap=1e-3)", "omd(reference_every=5)", "nash_mp(eta=auto)"})
    out.emplace_back(extra);
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllSolvers, NoAllocation, ::testing::ValuesIn(Configurations()),
                         [](const auto& test_info) {
                           std::string s;
                           for (char c : test_info.param) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return s;
                         });

}  // namespace
}  // namespace nlhf
