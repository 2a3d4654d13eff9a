"""Solvers from Python: stepped one iteration at a time they make the same iterates, bit for bit, as the
library's run driver (run_solver) and as nlhf-run; their errors are the tools'."""
import inspect
import json
import os
import subprocess
import sys

import numpy as np

from support import Checks, expect_value_errors, call, nlhf, scratch, tool, write_in

check = Checks()
TMP = scratch()
BETA = 0.1
game = nlhf.game("random_uniform", n=7, seed=5, reference="softmax_normal(scale=1)")
star = game.equilibrium(BETA)
K = 40

# --- a step of auto without a certified pi*: the default step with a note, as nlhf-run; X*limit: an error
uncertified = game.equilibrium(BETA, tolerance=1e-40, strict=False)  # no certificate reaches 1e-40
check("auto_uncertified.is_uncertified", not uncertified.certified)
import warnings  # noqa: E402
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    r = nlhf.run_solver("omd(eta=auto)", game, BETA, iterations=5, equilibrium=uncertified)
default_eta = nlhf.make_solver("omd")
default_eta.reset(game, BETA)
check("auto_uncertified.default_step", r.params.split(",")[0] == default_eta.spec.split(",")[0], r.params)
check("auto_uncertified.warned", any("eta: auto needs the spectral radius rho" in str(w.message) for w in caught),
      [str(w.message) for w in caught])
s = nlhf.make_solver("omd(eta=auto)")
s.reset(game, BETA, equilibrium=uncertified)
check("auto_uncertified.reset_notes", any("used the default step" in n for n in s.notes), s.notes)
try:
    nlhf.make_solver("omd(eta=0.9*limit)").reset(game, BETA, equilibrium=uncertified)
    check("limit_uncertified.raises", False, "no error")
except nlhf.NumericalError as e:
    check("limit_uncertified.raises", "needs rho, and pi* of this game at beta = 0.1 was not certified" in str(e), str(e))

# --- every registered solver: step() == the driver's loop == nlhf-run --------------------------
names = [e["name"] for e in nlhf._nlhf.registry("solvers")]
check("registry.namespace", sorted(names) == sorted(n for n in dir(nlhf.solvers) if not n.startswith("_")))
stepped = {}
for name in names:
    s = nlhf.make_solver(name)
    s.reset(game, BETA, equilibrium=star)
    for _ in range(K):
        s.step()
    stepped[name] = s.policy
    r = nlhf.run_solver(name, game, BETA, iterations=K, equilibrium=star)
    check(f"driver.{name}", np.array_equal(s.logits, r.summary["logits"]) and r.params == s.spec,
          f"{s.logits} vs {r.summary['logits']}")
    bulk = nlhf.solvers.__dict__[name]()
    bulk.reset(game, BETA, equilibrium=star)
    bulk.step(K)
    check(f"bulk.{name}", np.array_equal(bulk.logits, s.logits) and bulk.iterations == K)
    check(f"costs.{name}", s.oracle_calls == r.summary["oracle_calls"] and s.iterations == K)

yaml = write_in(TMP, "all.yaml", f"""
game: {{type: random_uniform, n: 7}}
reference: {{type: softmax_normal, scale: 1}}
beta: {BETA}
seeds: [5]
solvers: [{", ".join("{name: " + n + "}" for n in names)}]
stop: {{iterations: {K}}}
""")
out = os.path.join(TMP, "all")
code, _, err = call([tool("nlhf-run"), yaml, "--quiet", "--out", out], TMP)
check("cli.ran", code == 0, err)
with open(os.path.join(out, "summary.json")) as f:
    cli = {row["solver"]: row for row in json.load(f)}
for name in names:
    check(f"cli.{name}", np.array_equal(np.array(cli[name]["policy"]), stepped[name]),
          f"{cli[name]['policy']} vs {stepped[name]}")

# --- what a bound solver reports --------------------------------------------------------------
s = nlhf.make_solver("nash_mp", eta="0.9*limit")
s.reset(game, BETA)  # rho solved here
check("limit.resolved", abs(s.params["eta"] - 0.9 * s.stability_limit) <= 1e-15 * s.params["eta"], str(s.params))
check("spec", s.spec.startswith("nash_mp(eta=") and s.target == "pi_star", s.spec)
m = nlhf.make_solver("mwu(eta=0.3)")
m.reset(nlhf.game("rps3"), 0.0)
m.step(50)
check("mwu.average", m.average is not None and abs(m.average.sum() - 1) < 1e-12 and m.target == "unregularized")
check("policy.copy", m.policy is not m.policy and m.policy.flags.writeable)
r = nlhf.run_solver("omd(eta=auto)", game, BETA, tolerance={"gap_beta": 1e-10}, iterations=100000, log="log")
check("tolerance.stop", r.summary["termination"] == "tolerance" and r.trace["gap_beta"][-1] <= 1e-10, str(r.summary["message"]))
# The run's times: solver steps and, apart, the logged metrics' evaluation (rows were logged).
check("times", r.summary["wall_s"] > 0 and r.summary["metrics_s"] > 0, str(r.summary))
check("frame", r.frame is not None and list(r.frame.columns) == list(r.trace))

# --- sampled oracles: seeded, reproducible ----------------------------------------------------
a = nlhf.make_solver("nash_mp_pg", oracle={"type": "sampled", "batch": 8})
b = nlhf.make_solver("nash_mp_pg", oracle={"type": "sampled", "batch": 8})
a.reset(game, BETA, seed=3)
b.reset(game, BETA, seed=3)
a.step(20)
b.step(20)
check("sampled.reproducible", np.array_equal(a.logits, b.logits) and a.queries > 0 and a.oracle_calls == 0, str(a.queries))
b.reset(game, BETA, seed=4)
b.step(20)
check("sampled.seeded", not np.array_equal(a.logits, b.logits))

# --- errors ------------------------------------------------------------------------------------
bound = nlhf.make_solver("omd")
bound.reset(game, BETA)
cases = [
    (lambda: nlhf.make_solver("nash_mq"), "unknown solver 'nash_mq' (did you mean 'nash_mp'?)"),
    (lambda: nlhf.make_solver("nash-mp"), "unknown solver 'nash-mp' (did you mean 'nash_mp'?)"),
    (lambda: nlhf.make_solver(nlhf.solvers.nash_mp()), "expected a solver's name or spec string"),
    (lambda: nlhf.make_solver("nash_mp", eta=-1), "nash_mp.eta: '-1' is out of range"),
    (lambda: nlhf.make_solver("nash_mp", eta="fast"), "nash_mp.eta"),
    (lambda: nlhf.make_solver("nash_mp", etta=0.1), "did you mean 'eta'"),
    (lambda: nlhf.make_solver("mwu", oracle={"type": "sampled"}), "sampled is not available for mwu"),
    (lambda: nlhf.make_solver("nash_mp_pg", oracle={"type": "noisy"}), "oracle.type: 'noisy' is not an oracle type"),
    (lambda: nlhf.make_solver("nash_mp").step(), "is not bound to a game yet"),
    (lambda: bound.step(2.5), "count: 2.5 is not allowed, expected an integer >= 1"),
    (lambda: bound.step(True), "count: True is not allowed"),
    (lambda: bound.step(0), "count: 0 is not allowed"),
    (lambda: bound.step(2**64), "count: 18446744073709551616 is not allowed"),
    (lambda: bound.step("3"), "count: '3' is not allowed"),
    (lambda: nlhf.make_solver("nash_mp").reset(game, 0.0), "0 is not allowed with nash_mp"),
    (lambda: nlhf.make_solver("nash_mp").reset(game, 1e-9), "below the smallest supported beta"),
    (lambda: nlhf.make_solver("nash_mp").reset(game, BETA, init=np.zeros(3)), "init: has 3 entries"),
    (lambda: nlhf.make_solver("nash_mp").reset(game, BETA, init=np.r_[1e308, -1e308, np.zeros(5)]),
     "init: has entries whose differences overflow a double"),
    (lambda: nlhf.run_solver(nlhf.make_solver("nash_mp"), None, BETA), "game: is None, expected an nlhf.Game"),
    (lambda: nlhf.make_solver("nash_mp").reset("rps3", BETA),
     "game: str is not allowed, expected an nlhf.Game (nlhf.game(...))"),
    (lambda: nlhf.make_solver("nash_mp").reset(game, 0.2, equilibrium=star), "equilibrium: is pi* at beta = 0.1"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, iterations=0),
     "iterations: '0' is out of range, expected integer in [1, 1000000000000]"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, iterations=1.5), "iterations: '1.5' is not an integer"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, iterations="5"), "iterations: '5' is a string, expected integer"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, log="log", every=50), "every: 50 has no effect with spacing: log"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, points_per_decade=2),
     "points_per_decade: 2 has no effect with spacing: linear"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, metrics=[]), "metrics: is empty, expected at least one of"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, theory_check="no"), "theory_check: 'no' is not allowed, expected True or False"),
    (lambda: nlhf.run_solver(None, game, BETA), "solver: NoneType is not allowed, expected an nlhf.Solver"),
    (lambda: nlhf.listing(None), "what: None is not allowed, expected games, references, solvers or metrics"),
    (lambda: nlhf.listing("foo"), "what: 'foo' is not a listing"),
    # A hint that names a command keeps it ("nlhf-run --list games", not "nlhf-run what games").
    (lambda: nlhf.run({"name": "x", "beta": 0.1, "solvers": [{"name": "mwu"}]}), "(nlhf-run --list games)"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, metrics=["gap_0", "gap_0"]), "metrics[1]: 'gap_0' is listed twice"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, tolerance={"gap_beta": 10**400}),
     "overflows (too large for a double), expected a finite number"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, every=0), "every: '0' is out of range"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, tolerance={"gap_beta": -1}),
     "tolerance.gap_beta: '-1' is out of range, expected number >= 0"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, tolerance={"gap_beta": "x"}), "tolerance.gap_beta: 'x' is a string"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, points_per_decade=1001),
     "points_per_decade: '1001' is out of range, expected integer in [1, 1000]"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, wall_s=-1), "wall_s: '-1' is out of range, expected number >= 0"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, wall_s=float("nan")), "wall_s: 'nan' is not a finite number"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, log=3), "log: 3 is not allowed, expected linear or log"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, iterations=True), "iterations: True is not allowed"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, seed=-2), "seed: -2 is not allowed"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, tolerance=1e-8), "tolerance: 1e-08 is not allowed, expected a dict"),
    (lambda: nlhf.run_solver("mwu", game, 0.0, metrics=["fp_residual"]), "'fp_residual' is not defined at beta = 0"),
    (lambda: nlhf.run_solver("mwu", game, 0.0, tolerance={"span": 1e-3}), "tolerance.span: is not defined at beta = 0"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, equilibrium=nlhf.game("rps3").equilibrium(BETA)),
     "equilibrium: is pi* of another game"),
    (lambda: nlhf.make_solver("nash_mp").reset(game, BETA, equilibrium=game.nash_equilibrium()),
     "equilibrium: NashEquilibrium is not allowed"),
    (lambda: nlhf.make_solver("nash_mp").reset(game, BETA, rho=0.7), "rho: 0.7 is not allowed"),
    (lambda: nlhf.make_solver("nash_mp_pg", oracle={"batch": 64}), "oracle.type: is missing"),
    (lambda: nlhf.make_solver("nash_mp_pg", oracle={"typ": "sampled"}), "did you mean 'type'"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, log="cubic"), "log: 'cubic' is not allowed, expected linear or log"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, iterations=2**63),
     "iterations: '9223372036854775808' is out of range"),
    (lambda: nlhf.game("random_uniform", n=5, seed=2**64 - 1),
     "seed: 18446744073709551615 is not allowed, expected an integer in [0, 9000000000000000000]"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, iterations=100, queries=10),
     "queries: 10 can never be reached: the solver uses the exact oracle"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, tolerance={"gap": 1e-3}), "unknown metric 'gap'"),
    (lambda: nlhf.make_solver("nash_mp", eta=[1, 2]), "nash_mp.eta"),
    (lambda: nlhf.make_solver("nash_mp", eta={"a": 1}), "expected a number, a bool, a string or a list"),
]
expect_value_errors(check, cases)

# An error of run_solver's options starts with its keyword, not the YAML key that holds it in a file
# (log.every, stop.tolerance.gap_beta): the whole start is compared, not a part of the message.
keyword_cases = [
    (lambda: nlhf.run_solver("nash_mp", game, BETA, log="log", every=50), "every: 50 has no effect"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, points_per_decade=2), "points_per_decade: 2 has no effect"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, tolerance={"gap_beta": -1}), "tolerance.gap_beta: '-1' is out"),
    (lambda: nlhf.run_solver("nash_mp", game, BETA, tolerance={"gap_beta": "x"}), "tolerance.gap_beta: 'x' is a"),
]
for i, (fn, start) in enumerate(keyword_cases):
    try:
        fn()
        check(f"keyword.{i}", False, f"no error (expected {start})")
    except ValueError as e:
        check(f"keyword.{i}", str(e).startswith(start), f"{e} (expected it to start with {start})")

# --- run_solver's stop and log keywords: the YAML reader's stop: and log: table ------------------
# A key added to the table (lib/src/run_option_table.cc) fails here until run_solver takes it, with
# the table's default.
signature = inspect.signature(nlhf.run_solver).parameters
for section, specs in nlhf._nlhf.run_options().items():
    for spec in specs:
        keyword = nlhf._RUN_OPTION_KEYWORDS.get(spec["name"], spec["name"])
        default = signature[keyword].default if keyword in signature else None
        same = keyword in signature and (default == spec["default"] if spec["type"] == "string"
                                         else float(default) == float(spec["default"]))
        check(f"run_options.{section}.{spec['name']}", same,
              f"run_solver's {keyword}={default!r}, the table's default {spec['default']}")
# The docstring lists the keywords from the table; under python -OO (no docstrings) the package
# still imports.
check("run_options.doc", "points_per_decade (log.points_per_decade)" in nlhf.run_solver.__doc__, nlhf.run_solver.__doc__)
optimized = subprocess.run([sys.executable, "-OO", "-c", "import nlhf"], capture_output=True, text=True)
check("run_options.import_OO", optimized.returncode == 0, optimized.stderr)
# An integral float beyond 64 bits is echoed as given, not as its 301 digits.
try:
    nlhf.run_solver("nash_mp", game, BETA, iterations=1e300)
    check("run_options.huge_float", False, "accepted")
except ValueError as e:
    check("run_options.huge_float", "iterations: '1e+300' is out of range" in str(e), str(e))
# Values reach the driver through the table: an integral float is an integer, log= is the spacing.
r = nlhf.run_solver("nash_mp", game, BETA, iterations=1e2, log="log", points_per_decade=2, equilibrium=star)
check("run_options.set", r.summary["iterations"] == 100 and list(r.trace["iter"]) == [0, 1, 3, 10, 32, 100],
      f"{r.summary['iterations']} {list(r.trace['iter'])}")
r = nlhf.run_solver("nash_mp", game, BETA, iterations=7, every=3, equilibrium=star)
check("run_options.every", list(r.trace["iter"]) == [0, 3, 6, 7], list(r.trace["iter"]))
check("step.refused_counts_ran_nothing", bound.iterations == 0, str(bound))
bound.step(np.int64(2))
check("step.numpy_count", bound.iterations == 2, str(bound))

# --- numerical failure: a distinct error ---------------------------------------------------------
boom_game = nlhf.game("random_uniform", n=5)
boom = nlhf.make_solver("mwu", eta=1.0e308)
boom.reset(boom_game, BETA)
try:
    boom.step(50)
    check("boom.step", False, "no error")
except nlhf.NumericalError as e:
    check("boom.step", "not finite" in str(e) and not isinstance(e, ValueError), str(e))
try:
    nlhf.run_solver("mwu(eta=1e308)", boom_game, BETA, iterations=50)
    check("boom.run", False, "no error")
except nlhf.NumericalError as e:
    check("boom.run", e.result.summary["termination"] == "numerical_failure", str(e))

# --- a run's warnings reach the notebook as RunWarning ------------------------------------------
import warnings  # noqa: E402

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    r = nlhf.run_solver("nash_mp(eta=2*limit)", game, BETA, iterations=50)
check("warning.issued", any(issubclass(w.category, nlhf.RunWarning) and "stability limit" in str(w.message) for w in caught)
      and r.summary["warnings"], [str(w.message) for w in caught])
check.finish(TMP)
