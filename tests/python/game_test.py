"""Games, descriptors, metrics and equilibria from Python: against brute-force definitions in numpy,
against the tools' output, and with the tools' validation messages."""
import gc
import itertools
import json
import os

import numpy as np

from support import Checks, expect_value_errors, bits, call, nlhf, scratch, tool, write_in

check = Checks()
TMP = scratch()

# --- building games: spec string, keywords, numpy ------------------------------------------------
g = nlhf.game("random_uniform(n=12)", reference="softmax_normal(scale=1)", seed=3)
k = nlhf.game("random_uniform", n=12, seed=3, reference="softmax_normal(scale=1)")
f = nlhf.games.random_uniform(n=12, seed=3, reference=nlhf.references.softmax_normal(scale=1))
check("build.same_spec", g.spec == k.spec == f.spec == "random_uniform(n=12,seed=3)", f"{g.spec} {k.spec} {f.spec}")
check("build.same_P", np.array_equal(g.P, k.P) and np.array_equal(g.P, f.P))
check("build.reference", g.reference_spec == "softmax_normal(scale=1,seed=3)" and abs(g.mu.sum() - 1) < 1e-15, g.reference_spec)
P = g.P
check("view.readonly", not P.flags.writeable)
check("view.zero_copy", np.shares_memory(P, g.P))
del g
gc.collect()
check("view.keeps_game_alive", abs((P + P.T - 1).max()) <= 1e-12 and P.shape == (12, 12))
g = k
m = nlhf.from_matrix(np.array(g.P), np.array(g.mu))
check("matrix.spec", m.spec.startswith("array(n=12,sha256=") and m.reference_spec.startswith("array(sha256="), m.spec)
check("matrix.same_equilibrium", bits(m.equilibrium(0.05).certificate) == bits(g.equilibrium(0.05).certificate)
      and np.array_equal(m.equilibrium(0.05).pi, g.equilibrium(0.05).pi))
check("matrix.fortran_order", np.array_equal(nlhf.from_matrix(np.asfortranarray(g.P)).P, g.P))
mu = np.arange(1, 13) / 78.0
ga = nlhf.game("random_uniform", n=12, seed=3, reference=mu)
check("reference.array", np.array_equal(ga.mu, mu) and ga.reference_spec.startswith("array(sha256=") and np.array_equal(ga.P, g.P))
check("matrix.reference_spec", nlhf.from_matrix(g.P, reference="zipf(s=1)").reference_spec.startswith("zipf("))

# --- bad input: ValueError with the library's message -------------------------------------------
cases = [
    (lambda: nlhf.game("random_uniform", n=1), "game.n: '1' is out of range, expected integer in [2, 100000]"),
    (lambda: nlhf.game("random_unifrom(n=3)"), "did you mean 'random_uniform'"),
    (lambda: nlhf.game("random-uniform"), "unknown game 'random-uniform' (did you mean 'random_uniform'?)"),
    (lambda: nlhf.game("random_uniform", n=5, sed=3), "unknown"),
    (lambda: nlhf.game("random_uniform(n=5)", n=4), "game.n: is given twice"),
    (lambda: nlhf.game("random_uniform", n=5, seed=-1), "seed: -1 is not allowed"),
    (lambda: nlhf.game("random_uniform", n=5, seed=1.5), "seed: 1.5 is not allowed"),
    (lambda: nlhf.game("rps3", storage="sparse"), "game.storage: 'sparse' is not a storage"),
    (lambda: nlhf.from_matrix([[0.5, 0.2], [0.2, 0.5]]), "P: P[0][1] + P[1][0] = 0.2 + 0.2 = 0.4"),
    (lambda: nlhf.from_matrix(np.ones((2, 3)) / 2), "expected a square n x n matrix"),
    (lambda: nlhf.from_matrix("abc"), "P: is an array of strings (<U3), expected numbers"),
    (lambda: nlhf.from_matrix(object()), "P: is an array of objects (object), expected numbers"),
    # numpy would cast these: strings of digits, bools (0 and 1), None (NaN).
    (lambda: g.metrics(0.1, np.array(["0.25"] * 12)), "pi: is an array of strings"),
    (lambda: g.metrics(0.1, ["0.25"] * 12), "pi: is an array of strings"),
    (lambda: g.metrics(0.1, np.eye(12, dtype=bool)[0]), "pi: is an array of bools (bool), expected numbers"),
    (lambda: g.metrics(0.1, [None] + [1 / 11] * 11), "pi: is an array of objects"),
    # payoff(pi) is a win rate against a policy: NaN, negative entries or a sum other than 1 are refused.
    (lambda: g.payoff(np.r_[np.nan, np.full(11, 1 / 11)]), "pi: entry 0 is nan, expected a probability >= 0"),
    (lambda: g.payoff(np.r_[2.0, -1.0, np.zeros(10)]), "pi: entry 1 is -1, expected a probability >= 0"),
    (lambda: g.payoff(np.ones(12)), "pi: sums to 12, expected a probability vector"),
    (lambda: g.metrics(0.1, np.full(12, 1 / 12), which=[]), "which: is empty, expected at least one of gap_beta"),
    (lambda: g.equilibrium(0.1, strict="no"), "strict: 'no' is not allowed, expected True or False"),
    (lambda: g.nash_equilibrium(strict=0), "strict: 0 is not allowed, expected True or False"),
    (lambda: g.metrics(0.1, np.full(12, 1 / 12), which=5), "which: 5 is not allowed, expected a metric name"),
    # A list parameter is a flat list of numbers, as in YAML: no nesting, 2-D arrays, bools or strings.
    (lambda: nlhf.game("bradley_terry", n=4, ratings=[[1.0, 2.0], [3.0, 4.0]]), "game.ratings[0]: [1.0, 2.0] is not allowed"),
    (lambda: nlhf.game("bradley_terry", n=4, ratings=np.ones((2, 2))), "game.ratings: an array of shape (2, 2) is not allowed"),
    (lambda: nlhf.game("bradley_terry", n=3, ratings=[True, 2, 3]), "game.ratings[0]: True is not allowed, expected a number"),
    (lambda: nlhf.game("bradley_terry", n=3, ratings=[1, 2, "3"]), "game.ratings[2]: '3' is a string, expected a number"),
    (lambda: nlhf.from_matrix([[0.5, np.nan], [0.5, 0.5]]), "P"),
    (lambda: nlhf.from_matrix(np.full((2, 2), 0.5), mu=[0.2, 0.2]), "mu"),
    (lambda: nlhf.from_matrix(np.full((2, 2), 0.5), mu=[1.0, 0.0, 0.0]), "mu"),
    (lambda: g.equilibrium(0.0), "beta: 0 is the unregularized game, whose equilibrium is nash_equilibrium()"),
    (lambda: g.equilibrium(float("nan")), "beta: nan is not allowed, expected a number in [1e-08, 1e+06]"),
    (lambda: g.equilibrium(1e-9), "beta: 1e-09 is not allowed, expected a number in [1e-08, 1e+06]"),
    (lambda: nlhf.from_matrix(np.full((2, 2), 0.5 + 0j)), "P: is an array of complex numbers (complex128), expected real numbers"),
    (lambda: nlhf.from_matrix(np.full((2, 2), 0.5), mu=np.full(2, 0.5 + 1j)), "mu: is an array of complex numbers"),
    (lambda: g.equilibrium(0.05, method="lu"), "method: 'lu' is not a method"),
    (lambda: g.metrics(0.1, np.full(12, 0.1)), "pi: sums to 1.2"),
    (lambda: g.metrics(0.1, np.full(3, 1 / 3)), "pi: has 3 entries, expected n = 12"),
    (lambda: g.metrics(0.1, np.full(12, 1 / 12), which=["kl_to_star"]), "'kl_to_star' needs pi*, expected star=game.equilibrium(beta)"),
    (lambda: g.metrics(0.1, np.full(12, 1 / 12), which=["gap_beat"]), "did you mean 'gap_beta'"),
    (lambda: g.metrics(0.0, np.full(12, 1 / 12), which=["fp_residual"]), "not defined at beta = 0"),
    (lambda: nlhf.stability_limits(0.1, 0.7), "rho: 0.7 is not allowed"),
    # Wrong types get this API's words, not pybind11's list of a private function's overloads.
    (lambda: nlhf.stability_limits("0.1", 0.1), "beta: '0.1' is a string, expected a number"),
    (lambda: g.equilibrium(0.1, method=None), "method: None is not allowed, expected auto, dense or krylov"),
    (lambda: g.nash_equilibrium(None), "selection: None is not allowed, expected kl_projection or max_entropy"),
    (lambda: g.entry("0", 1), "i: '0' is not allowed, expected an integer >= 0"),
    (lambda: g.entry(0, 0.5), "j: 0.5 is not allowed, expected an integer >= 0"),
    (lambda: nlhf.run({"game": {"type": "rps3"}}, jobs=2**31), "jobs: 2147483648 is not allowed, expected an integer in [1, 2147483647]"),
    (lambda: nlhf.run({"game": {"type": "rps3"}}, overrides=5), "overrides: 5 is not allowed, expected a dict"),
    # mu and reference together: one of them (the reference was ignored).
    (lambda: nlhf.from_matrix(np.full((3, 3), 0.5), mu=np.full(3, 1 / 3), reference="zipf"),
     "reference: 'zipf' is given with mu, expected one of them"),
    (lambda: nlhf.game("random_uniform", n=4, reference={"type": "zipf"}),
     "reference: dict is not allowed, expected a reference spec string (nlhf.references)"),
    # A misspelled keyword of game() that the generator takes for its own parameter.
    (lambda: nlhf.game("random_uniform", n=4, referance="zipf"), "(or did you mean game()'s keyword reference=?)"),
    # The spec of an array game identifies the arrays; it cannot rebuild them.
    (lambda: nlhf.game(nlhf.from_matrix(np.full((3, 3), 0.5)).spec), "is the spec of an array (nlhf.from_matrix"),
    (lambda: nlhf.game("rps3", reference=nlhf.from_matrix(np.full((3, 3), 0.5), mu=[0.2, 0.3, 0.5]).reference_spec),
     "reference: 'array(sha256="),
    # Single precision cannot meet the tolerances: the message says why and how to convert.
    (lambda: nlhf.from_matrix(np.array([[0.5, 0.7, 0.2], [0.3, 0.5, 0.6], [0.8, 0.4, 0.5]], dtype=np.float32)),
     "(P is float32, whose 7 digits cannot meet that tolerance: convert it with P.astype(np.float64)"),
    (lambda: g.metrics(0.1, np.full(12, 1 / 12, dtype=np.float32)), "(pi is float32, whose 7 digits"),
]
expect_value_errors(check, cases)
check("beta.zero_dimensional_array", g.equilibrium(np.array(0.1)).log_pi.tolist() == g.equilibrium(0.1).log_pi.tolist())
check("from_matrix.reference_alone", nlhf.from_matrix(np.full((3, 3), 0.5), reference="zipf(s=1)").mu.tolist()
      == nlhf.game("rps3", reference="zipf(s=1)").mu.tolist())
check("list_param.float32_array", nlhf.game("bradley_terry", n=3, ratings=np.array([1, 2, 3.5], dtype=np.float32)).spec
      == nlhf.game("bradley_terry", n=3, ratings=(1, 2, 3.5)).spec)
# The same message as nlhf-run's for the same bad value.
bad = write_in(TMP, "bad.yaml", "game: {type: random_uniform, n: 1}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n")
code, _, err = call([tool("nlhf-run"), bad, "--quiet", "--out", os.path.join(TMP, "o")], TMP)
check("bad.cli_message", code == 2 and err.strip().endswith("game.n: '1' is out of range, expected integer in [2, 100000]"), err)

# --- descriptors against brute force -----------------------------------------------------------
t = nlhf.game("tournament", n=9, ties=0.3, seed=2)
Pt = t.P
A = Pt - 0.5
d = t.describe()
cyc = 0
for i, j, l in itertools.combinations(range(9), 3):
    cyc += (A[i, j] > 0 and A[j, l] > 0 and A[l, i] > 0) or (A[j, i] > 0 and A[l, j] > 0 and A[i, l] > 0)
check("describe.cyclic_triples", d["cyclic_triples"] == cyc and d["triples"] == 84, f"{d} vs {cyc}")
s = A.mean(axis=1)
C = A - (s[:, None] - s[None, :])
check("describe.hodge", abs(d["hodge_cyclic_ratio"] - (C**2).sum() / (A**2).sum()) < 1e-12, str(d))
check("describe.max_abs_margin", d["max_abs_margin"] == np.abs(A).max())
winner = [i for i in range(9) if all(A[i, j] > 0 for j in range(9) if j != i)]
check("describe.condorcet", d["condorcet_winner"] == (winner[0] if winner else None), str(d))
# Undefined ratios are None, not 0: no triple at n = 2, no margin when every pair ties.
d2 = nlhf.game("random_uniform", n=2).describe()
check("describe.no_triples", d2["triples"] == 0 and d2["cyclic_triple_fraction"] is None, str(d2))
dt = nlhf.from_matrix(np.full((4, 4), 0.5)).describe()
check("describe.all_tied", dt["hodge_cyclic_ratio"] is None and dt["cyclic_triple_fraction"] == 0.0, str(dt))
# A policy with exact zeros where pi* is positive but below the doubles (e^-5000): KL(pi*||pi) is
# +inf, a value; it raised "kl_to_star is NaN" (0 * inf), at the equilibrium's own pi too.
order = np.triu(np.ones((5, 5)), 1) + 0.5 * np.eye(5)
strict = nlhf.from_matrix(order)
st = strict.equilibrium(1e-4)
m = strict.metrics(1e-4, st.pi, star=st)
check("metrics.kl_to_star_inf", np.isinf(m["kl_to_star"]) and m["kl_to_star"] > 0, str(m))
check("equilibrium.pi_underflow", list(st.pi[1:]) == [0.0] * 4, str(st.pi))
try:
    nlhf.game("low_rank_cyclic", n=1000, k=8).describe()
    check("describe.implicit_refused", False, "no error")
except ValueError as e:
    check("describe.implicit_refused", "implicit" in str(e), str(e))

# --- the equilibrium: the fixed point, the tools' pi* and rho ------------------------------------
beta = 0.01
eq = g.equilibrium(beta)
log_br = np.log(g.mu) + g.P @ eq.pi / beta
log_br -= np.log(np.exp(log_br - log_br.max()).sum()) + log_br.max()
check("equilibrium.fixed_point", eq.certified and np.abs(log_br - eq.log_pi).max() < 1e-10, str(eq))
check("equilibrium.rho", eq.rho is not None and 0 < eq.rho <= np.abs(g.P - 0.5).max(), str(eq.rho))
limits = {row["solver"]: row for row in eq.stability_limits}
check("equilibrium.limits", limits == {row["solver"]: row for row in nlhf.stability_limits(beta, eq.rho)}, str(limits))
yaml = write_in(TMP, "eq.yaml", """
game: {type: random_uniform, n: 12}
reference: {type: softmax_normal, scale: 1}
beta: 0.01
seeds: [3]
solvers: [{name: nash_mp}]
stop: {iterations: 2}
""")
out = os.path.join(TMP, "eq_out")
code, _, err = call([tool("nlhf-run"), yaml, "--quiet", "--out", out], TMP)
with open(os.path.join(out, "summary.json")) as fh:
    cli = json.load(fh)[0]
check("equilibrium.cli_pi", code == 0 and np.array_equal(np.array(cli["pi_star"]), eq.pi), f"{cli['pi_star']} {eq.pi}")
check("equilibrium.cli_rho", cli["rho"] == eq.rho and cli["stability_limit"] == limits["nash_mp"]["limit"], str(cli))
check("equilibrium.cli_descriptors", cli["descriptors"]["hodge_cyclic_ratio"] == g.describe()["hodge_cyclic_ratio"])
try:
    g.equilibrium(1e-6, tolerance=1e-40)
    check("equilibrium.strict", False, "no error")
except nlhf.NumericalError as e:
    check("equilibrium.strict", not e.result.certified and "not certified" in str(e), str(e))
check("equilibrium.not_strict", not g.equilibrium(1e-6, tolerance=1e-40, strict=False).certified)

# --- metrics against their definitions -----------------------------------------------------------
rng = np.random.default_rng(1)
pi = rng.dirichlet(np.ones(12))
mets = g.metrics(beta, pi, star=eq)
gv = g.P @ pi
br = np.log(g.mu) + gv / beta
br = np.exp(br - br.max())
br /= br.sum()
kl = lambda p, q: float((p * np.log(p / q)).sum())  # noqa: E731
expected = {
    "gap_beta": 2 * beta * kl(pi, br), "exploitability": beta * kl(pi, br), "gap_0": 2 * gv.max() - 1,
    "br_winrate": gv.max(), "kl_to_star": kl(eq.pi, pi), "kl_from_star": kl(pi, eq.pi),
    "span": float((np.log(pi) - eq.log_pi).max() - (np.log(pi) - eq.log_pi).min()),
    "fp_residual": float(np.ptp(np.log(pi) - np.log(g.mu) - gv / beta)),
}
for name, value in expected.items():
    check(f"metrics.{name}", abs(mets[name] - value) <= 1e-12 * max(1, abs(value)), f"{mets[name]} vs {value}")
ml = g.metrics(beta, logits=np.log(pi) + 7.0, star=eq)
check("metrics.logits", all(abs(ml[n] - mets[n]) <= 1e-12 * max(1, abs(mets[n])) for n in mets), str(ml))
check("metrics.payoff", np.abs(g.payoff(pi) - gv).max() < 1e-15)
check("metrics.names", list(mets) == [n for n in nlhf.metric_names() if n in mets])

# --- beta = 0: the certified Nash equilibrium --------------------------------------------------
r = nlhf.game("rps3")
ne = r.nash_equilibrium()
check("nash.certified", ne.certified and ne.unique and ne.support == [0, 1, 2] and ne.certificate <= 1e-9, str(ne))
check("nash.is_ne", 2 * (r.P @ ne.pi).max() - 1 <= 1e-12)
m0 = r.metrics(0.0, np.full(3, 1 / 3), ne=ne)
check("nash.kl_to_ne", abs(m0["kl_to_ne"] - kl(ne.pi, np.full(3, 1 / 3))) < 1e-14 and "fp_residual" not in m0, str(m0))
try:
    r.nash_equilibrium("maximum")
    check("nash.bad_selection", False, "no error")
except ValueError as e:
    check("nash.bad_selection", "kl_projection or max_entropy" in str(e), str(e))

# --- float32 and implicit storage: no P to view, products still work -----------------------------
f32 = nlhf.game("random_uniform", n=20, storage="float32")
try:
    f32.P
    check("float32.no_view", False, "no error")
except ValueError as e:
    check("float32.no_view", "stores no matrix of doubles" in str(e), str(e))
dense = nlhf.game("random_uniform", n=20)
check("float32.entry", abs(f32.entry(3, 4) - dense.P[3, 4]) <= 2**-26 and f32.spec.endswith("storage=float32)"), f32.spec)
try:
    f32.entry(20, 0)
    check("entry.range", False, "no error")
except ValueError as e:
    check("entry.range", "out of range" in str(e), str(e))

# --- an equilibrium is refused for another game or another beta ---------------------------------
other = nlhf.game("random_uniform", n=12, seed=4)
uniform = np.full(12, 1 / 12)
for name, fn, expected in [
    ("other_game", lambda: other.metrics(beta, uniform, star=eq), "star: is pi* of another game"),
    ("other_beta", lambda: g.metrics(0.02, uniform, star=eq), "star: is pi* at beta = 0.01, expected beta = 0.02"),
    ("wrong_type", lambda: r.metrics(0.0, np.full(3, 1 / 3), star=ne), "star: NashEquilibrium is not allowed"),
    ("ne_other_game", lambda: nlhf.game("cyclic", n=3).metrics(0.0, np.full(3, 1 / 3), ne=ne), "is the Nash equilibrium of another game"),
]:
    try:
        fn()
        check(f"foreign.{name}", False, "no error")
    except ValueError as e:
        check(f"foreign.{name}", expected in str(e), str(e))
# A game read from a file is not its spec: the same relative path read in another directory, or the
# file rewritten, is another game (its pi* gave a silently wrong KL).
files = {}
for sub, seed in (("da", 1), ("db", 2)):
    os.makedirs(os.path.join(TMP, sub), exist_ok=True)
    P = nlhf.game("random_uniform", n=6, seed=seed).P
    files[sub] = write_in(os.path.join(TMP, sub), "P.csv", "".join(",".join(repr(x) for x in row) + "\n" for row in P))
here = os.getcwd()
try:
    os.chdir(os.path.join(TMP, "da"))
    ga = nlhf.game("matrix", path="P.csv")
    sa = ga.equilibrium(0.1)
    again = nlhf.game("matrix", path="P.csv")  # the same file, read again: the same game
    check("file_game.same_file", abs(again.metrics(0.1, again.mu, star=sa, which="kl_to_star")["kl_to_star"] -
                                     ga.metrics(0.1, ga.mu, star=sa, which="kl_to_star")["kl_to_star"]) == 0)
    os.chdir(os.path.join(TMP, "db"))
    gb = nlhf.game("matrix", path="P.csv")
    check("file_game.same_spec", gb.spec == ga.spec, gb.spec + " " + ga.spec)
    try:
        gb.metrics(0.1, gb.mu, star=sa, which="kl_to_star")
        check("file_game.other_file_refused", False, "no error")
    except ValueError as e:
        check("file_game.other_file_refused", "star: is pi* of another game" in str(e), str(e))
finally:
    os.chdir(here)
# Logits far from 0 are a policy like any other (at 1e17 the normalization lost its log-sum-exp and
# br_winrate came out 6.7).
huge = g.metrics(beta, logits=np.full(12, 1e17))
flat = g.metrics(beta, logits=np.zeros(12))
check("metrics.huge_logits", all(abs(huge[k] - flat[k]) <= 1e-12 * max(1.0, abs(flat[k])) for k in flat), str(huge))
check("which.str", list(g.metrics(beta, uniform, which="gap_beta")) == ["gap_beta"])
zeros = np.zeros(12)
zeros[0] = 1.0
check("metrics.inf_kl", g.metrics(beta, zeros, star=eq, which=["kl_to_star"])["kl_to_star"] == np.inf)
check("spec_and_mu", np.array_equal(nlhf.game("random_uniform(n=12)", seed=3, reference=mu).P, k.P))
check("spec_and_storage", nlhf.game("random_uniform(n=12)", storage="float32").spec.endswith("storage=float32)"))

# A game this machine cannot hold is refused before anything is allocated (nlhf-run's estimate): a
# ValueError that says how much, not a bare MemoryError or the OOM killer. n = 100000 needs 75 GiB
# dense and 37 GiB in float32; a machine with that much free skips the check. float32 is suggested
# only where it would fit (it did not here, and was suggested).
with open("/proc/meminfo") as f:
    available_gib = next(int(line.split()[1]) for line in f if line.startswith("MemAvailable")) / 2**20
if available_gib < 35:
    for storage, expected in ((None, "(or an implicit game"), ("float32", "(or an implicit game")):
        try:
            nlhf.game("random_uniform", n=100000, storage=storage)
            check(f"memory.refused.{storage}", False, "built")
        except ValueError as e:
            check(f"memory.refused.{storage}", str(e).startswith("game.n: 100000 needs about ") and expected in str(e)
                  and "more than this machine can give" in str(e), str(e))
check("memory.implicit_fits", nlhf.game("low_rank_cyclic", n=10**6).n == 10**6)

# So is an equilibrium whose work it cannot hold, in a child process limited to a given amount of
# data beyond what it holds: at n = 3000 and 100 MB, both methods (about 16 n^2 = 144 MB: the dense
# Jacobian and its LU factors; GMRES's basis and Hessenberg matrix, n x n each below n = 4096); at
# n = 4500 and 290 MB, the dense one (324 MB), and the message points to krylov (245 MB), which the
# same child then solves with (not run here: 10 s). (Not under the sanitizers, whose runtime needs
# data of its own.)
EQUILIBRIUM_LIMITED = r'''
import resource
import sys
import nlhf
n, mb = int(sys.argv[1]), int(sys.argv[2])
g = nlhf.game("random_uniform", n=n)
with open("/proc/self/status") as f:
    used = next(int(line.split()[1]) for line in f if line.startswith("VmData")) * 1024
resource.setrlimit(resource.RLIMIT_DATA, (used + mb * 2**20, resource.getrlimit(resource.RLIMIT_DATA)[1]))
for method in sys.argv[3:]:
    try:
        g.equilibrium(0.1, method=method)
        print("solved")
    except ValueError as e:
        print(e)
'''
if os.environ.get("NLHF_SANITIZED"):
    check.skipped.append("equilibrium memory: not under the sanitizers")
else:
    import subprocess
    import sys

    def limited(*args):
        out = subprocess.run([sys.executable, "-c", EQUILIBRIUM_LIMITED, *args], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
        return out.stdout.splitlines() + [out.stderr]

    lines = limited("3000", "100", "dense", "krylov", "auto")
    check("memory.equilibrium_refused",
          len(lines) == 4 and all(line.startswith(f"method: '{m}' at n = 3000 needs about 0.1")
                                  and "GiB for pi*'s work, more than this machine can give (" in line
                                  and line.endswith("expected a smaller game") for line, m in zip(lines, ("dense", "krylov", "auto"))),
          "\n".join(lines))
    lines = limited("4500", "290", "dense")
    check("memory.equilibrium_krylov_fits",
          len(lines) == 2 and lines[0].startswith("method: 'dense' at n = 4500 needs about 0.32 GiB")
          and lines[0].endswith("expected method='krylov' (about 0.23 GiB)"), "\n".join(lines))
    # Building an implicit game takes its operator and mu, not the 44 vectors of run buffers that
    # nlhf-run's estimate adds: low_rank_cyclic at n = 10^6 (a 16 MB factor) builds within 200 MB
    # (the run estimate, 0.4 GB, refused it), and at k = 64 (1 GB) it is refused, pointing at n.
    GAME_LIMITED = r'''
import resource
import sys
import nlhf
with open("/proc/self/status") as f:
    used = next(int(line.split()[1]) for line in f if line.startswith("VmData")) * 1024
resource.setrlimit(resource.RLIMIT_DATA, (used + 200 * 2**20, resource.getrlimit(resource.RLIMIT_DATA)[1]))
for k in (1, 64):
    try:
        print(nlhf.game("low_rank_cyclic", n=10**6, k=k).n)
    except ValueError as e:
        print(e)
'''
    out = subprocess.run([sys.executable, "-c", GAME_LIMITED], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    lines = out.stdout.splitlines()
    check("memory.implicit_game_counts_its_operator",
          len(lines) == 2 and lines[0] == "1000000" and lines[1].startswith("game.n: 1000000 needs about 1.0 GiB "
                                                                          "(the implicit game's operator, 1.0 GiB")
          and lines[1].endswith("expected a smaller n"), out.stdout + out.stderr)
check.finish(TMP)
