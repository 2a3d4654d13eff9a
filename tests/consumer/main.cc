// A program outside the nlhf tree, built against an installed nlhf (find_package) or a source
// checkout (add_subdirectory): builds one game from spec strings, computes its certified
// regularized equilibrium pi*_beta, checks the certificate independently, prints the result.
// Exit 0 when pi* is certified, 1 otherwise (tests/consumer/run.cmake runs it).
#include <cstdio>
#include <exception>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/metrics.h"
#include "nlhf/version.h"

int main() {
  try {
    const double beta = 0.1;
    const nlhf::Game game = nlhf::MakeGame("random_uniform(n=10)", "softmax_normal", /*run_seed=*/1);
    const nlhf::Equilibrium eq = nlhf::SolveEquilibrium(game, beta);
    // The gap recomputed through the metrics API, not taken from the solver's own report.
    const double gap = nlhf::GapBeta(game, beta, nlhf::Evaluate(game, eq.log_pi));

    std::printf("nlhf %s (%s)\n", nlhf::kVersion, nlhf::kGitCommit);
    std::printf("game %s, reference %s, beta %g\n", game.game_spec().c_str(),
                game.reference_spec().c_str(), beta);
    std::printf("pi* =");
    for (Eigen::Index i = 0; i < eq.pi.size(); ++i) std::printf(" %.6f", eq.pi[i]);
    std::printf("\n%s: %s; gap_beta recomputed %.3g\n", eq.certified() ? "certified" : "NOT certified",
                eq.message.c_str(), gap);

    const bool ok = eq.certified() && eq.certificate <= 1e-10 && gap <= 1e-10 &&
                    eq.pi.size() == 10 && eq.pi.minCoeff() > 0.0;
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
