"""nlhf from Python, as in a notebook: build a game, look at it and at its certified equilibrium, run
three solvers, plot. Run it from the repository after the Quickstart's build:

    PYTHONPATH=build/python bash scripts/python.sh experiments/notebook_example.py

It prints what it finds and writes notebook_example.png and .pdf to --out (default
runs/notebook_example/, beside the tools' runs: results/ belongs to the
reproduction). Each block below is a notebook cell.
"""
import argparse
import os
import sys

try:
    import nlhf
except ImportError:  # run from a checkout without PYTHONPATH: the build tree's package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "python"))
    import nlhf

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/notebook_example", help="folder for the figure")
args = parser.parse_args()

# A game: EGPO's tabular setting, random preferences over 20 responses and a softmax-normal reference.
game = nlhf.games.random_uniform(n=20, seed=7, reference=nlhf.references.softmax_normal(scale=1))
print(game)
print("descriptors:", game.describe())

# Its certified equilibrium at beta = 0.01: pi*, the certificate, rho and each method's step limit.
beta = 0.01
star = game.equilibrium(beta)
print(star)
print(f"rho = {star.rho:.4f}; step limits:",
      {row["solver"]: round(row["limit"], 4) for row in star.stability_limits if row["solver"] in ("nash_mp", "omd")})
print("pi* (top 5):", np.round(np.sort(star.pi)[::-1][:5], 4))

# Three solvers on it, by nlhf-run's driver: Nash-MP at its theory step, OMD (online IPO) at the best step
# rho gives, and Nash-MD with its decaying step.
solvers = {
    "Nash-MP (eta = 2 beta)": nlhf.solvers.nash_mp(),
    "OMD (eta = auto)": nlhf.solvers.omd(eta="auto"),
    "Nash-MD (decaying)": nlhf.solvers.nash_md(),
}
results = {}
for label, solver in solvers.items():
    results[label] = nlhf.run_solver(solver, game, beta, iterations=3000, log="log", points_per_decade=20,
                                     tolerance={"kl_to_star": 1e-14}, equilibrium=star)
    s = results[label].summary
    print(f"{label:24s} {s['termination']:10s} {s['iterations']:5d} iterations, {s['oracle_calls']:5d} oracle calls, "
          f"KL(pi*||pi) = {s['final']['kl_to_star']:.2e}")

# The plot: KL(pi*||pi_k) against oracle calls, with Nash-MP's guarantee (1+2 beta)^(-N/2) KL_0.
fig, ax = plt.subplots(figsize=(5.5, 3.6))
for label, r in results.items():
    ax.semilogy(r.trace["oracle_calls"], r.trace["kl_to_star"], label=label)
first = results["Nash-MP (eta = 2 beta)"].trace
calls = np.linspace(0, first["oracle_calls"].max(), 200)
ax.semilogy(calls, first["kl_to_star"][0] * (1 + 2 * beta) ** (-calls / 2), "k--", lw=1,
            label=r"Nash-MP's bound $(1+2\beta)^{-N/2}\,\mathrm{KL}_0$")
ax.set_xlabel("oracle calls N (products P pi)")
ax.set_ylabel(r"KL($\pi^*_\beta\,\Vert\,\pi$)")
ax.set_title(f"random_uniform, n = {game.n}, beta = {beta}")
ax.legend(fontsize=8)
fig.tight_layout()
os.makedirs(args.out, exist_ok=True)
for ext in ("png", "pdf"):
    fig.savefig(os.path.join(args.out, f"notebook_example.{ext}"), dpi=150)
print(f"wrote {args.out}/notebook_example.png and .pdf")

# The bound holds at every logged point of Nash-MP (its theorem), which the example checks too.
bound = first["kl_to_star"][0] * (1 + 2 * beta) ** (-first["oracle_calls"] / 2)
assert (first["kl_to_star"] <= bound * (1 + 1e-9)).all(), "Nash-MP's bound is violated"
