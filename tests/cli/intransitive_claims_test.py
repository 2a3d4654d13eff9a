"""experiments/intransitive's claims can reject: on its quick sweeps every claim passes, and each edit of
their CSV files (an uncertified beta = 0 equilibrium, an average that converges too slowly in gap_0 or
in KL, an OMWU iterate off the NE, an MWU average no better than its last iterate, a bias run without
kl_to_ne, a KL bias linear in beta, a full-support game with a knee, partial-support games without one,
a pure game with a bias, a regularized run off the bias sweep's value, a missing run) fails the claims
that guard against it and no other. The claims need pandas, so they run through scripts/python.sh;
this script itself uses the standard library only. Usage: intransitive_claims_test.py BIN_DIR SOURCE_DIR"""
import json
import os
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="nlhf_intransitive_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, quick_sweep, reproduce_value  # noqa: E402

check = Checks()
EXP = os.path.join(SRC, "experiments", "intransitive")
# The sweeps and their quick overrides, read from the experiment (the test follows its --quick grid).
code, sweeps, err = reproduce_value(SRC, "intransitive", "[[w.config, w.out, w.quick] for w in m.SWEEPS]")
check("sweeps listed", code == 0, err)
for config, name, quick in (sweeps or []):
    code, o, e = quick_sweep(BIN, os.path.join(EXP, config), os.path.join(TMP, "base", name), quick, TMP)
    check(f"sweep {name}", code == 0, o + e)

# Each case edits the CSV files (pandas, in the child); the claims it must fail are named by a phrase
# of their text (KEYS), so that a claim added later does not shift them.
EDITS = r"""
import importlib.util, json, os, shutil, sys
import numpy as np, pandas as pd
src, tmp = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "experiments"))
import reproduction
spec = importlib.util.spec_from_file_location("m", os.path.join(src, "experiments", "intransitive", "reproduce.py"))
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
OUTS = ["unregularized", "regularized", "bias", "hodge"]
base = os.path.join(tmp, "base")

def load():
    return {o: {f: pd.read_csv(os.path.join(base, o, f + ".csv")) for f in ("runs", "trace")} for o in OUTS}

def fam(df):
    return df["game"].map(m.family)

def mixed_runs(d, u, solver):  # runs of `solver` on the games with a mixed NE (rho from the bias sweep)
    b = d["bias"]["runs"]; rho0 = b[b["beta"] == b["beta"].min()].set_index(["game", "seed"])["rho"]
    r = u.join(rho0.rename("rho0"), on=["game", "seed"])
    return r[(r["solver"] == solver) & (r["rho0"] > 1e-3)]

def uncertified(d):  # one omwu trace row without kl_to_star (the NE not certified)
    t = d["unregularized"]["trace"]
    t.loc[t.index[(t["solver"] == "omwu") & (t["iter"] > 0)][3], "kl_to_star"] = np.nan
def avg_slow(d):  # mwu's average gap_0 decays like T^-0.5 slower: the median's slope -0.5
    t = d["unregularized"]["trace"]; sel = t["solver"] == "mwu"
    t.loc[sel, "average_gap_0"] *= np.sqrt(np.maximum(t.loc[sel, "iter"], 1))
def avg_kl_slow(d):  # one game's average KL decays like T^-0.5 only
    t = d["unregularized"]["trace"]; rid = mixed_runs(d, d["unregularized"]["runs"], "mwu")["run_id"].iloc[0]
    sel = (t["run_id"] == rid) & (t["iter"] >= 1000)
    t.loc[sel, "average_kl_to_ne"] = t.loc[sel, "average_kl_to_ne"].iloc[0] * (t.loc[sel, "iter"] / 1000) ** -0.5
def omwu_far(d):  # omwu's last iterate 1e-3 from the NE in KL on one game
    r = d["unregularized"]["runs"]; rid = mixed_runs(d, r, "omwu")["run_id"].iloc[0]
    r.loc[r["run_id"] == rid, "kl_to_star"] = 1e-3
def mwu_avg_far(d):  # mwu's average only half as far from the NE as its last iterate
    r = d["unregularized"]["runs"]; rid = mixed_runs(d, r, "mwu")["run_id"].iloc[0]
    sel = r["run_id"] == rid
    r.loc[sel, "average_kl_to_ne"] = r.loc[sel, "kl_to_star"] / 2
def bias_no_ne(d):  # one bias run (beta = 1) without kl_to_ne
    b = d["bias"]["runs"]; b.loc[b.index[b["beta"] == 1][0], "kl_to_ne"] = np.nan
def kl_linear(d):  # a partial-support game's KL linear between the two smallest betas
    b = d["bias"]["runs"]; key = mixed_runs_bias(b, partial=True)
    lo, hi = np.sort(b["beta"].unique())[:2]
    sel = lambda beta: (b["game"] == key[0]) & (b["seed"] == key[1]) & (b["beta"] == beta)
    b.loc[sel(lo), "kl_to_ne"] = b.loc[sel(hi), "kl_to_ne"].iloc[0] * lo / hi
def full_knee(d):  # rps3's KL ten times larger at beta = 3e-3
    b = d["bias"]["runs"]; b.loc[(fam(b) == "rps3") & np.isclose(b["beta"], 3e-3), "kl_to_ne"] *= 10
def partial_smooth(d):  # every partial-support game's KL exactly C beta^2 up to beta = 1e-2
    b = d["bias"]["runs"]
    rho0 = b[b["beta"] == b["beta"].min()].set_index(["game", "seed"])["rho"]
    for (g, s), rho in rho0.items():
        if rho > 1e-3 and m.family(g) not in m.FULL_SUPPORT:
            sel = (b["game"] == g) & (b["seed"] == s)
            c = b.loc[sel & (b["beta"] == b["beta"].min()), "kl_to_ne"].iloc[0] / b["beta"].min() ** 2
            small = sel & (b["beta"] <= 1e-2 * (1 + 1e-9))
            b.loc[small, "kl_to_ne"] = c * b.loc[small, "beta"] ** 2
def pure_bias(d):  # a pure game with KL(pi_NE || pi*_beta) = 1e-6 at beta = 1e-3
    b = d["bias"]["runs"]
    rho0 = b[b["beta"] == b["beta"].min()].set_index(["game", "seed"])["rho"]
    g, s = rho0[rho0 < 1e-9].index[0]
    b.loc[(b["game"] == g) & (b["seed"] == s) & np.isclose(b["beta"], 1e-3), "kl_to_ne"] = 1e-6
def reg_off_bias(d):  # nash_mp's final KL to the NE 1e-4 (relative) off the bias sweep's value
    r = d["regularized"]["runs"]; r.loc[r.index[r["label"] == "nash_mp"][0], "kl_to_ne"] *= 1 + 1e-4
def missing_run(d):
    b = d["bias"]["runs"]; b.drop(b.index[4], inplace=True)

def mixed_runs_bias(b, partial):
    rho0 = b[b["beta"] == b["beta"].min()].set_index(["game", "seed"])["rho"]
    for (g, s), rho in rho0.items():
        if rho > 1e-3 and (m.family(g) not in m.FULL_SUPPORT) == partial:
            return g, s

result = {}
for name, edit in [("none", None), ("uncertified", uncertified), ("avg_slow", avg_slow), ("avg_kl_slow", avg_kl_slow),
                   ("omwu_far", omwu_far), ("mwu_avg_far", mwu_avg_far), ("bias_no_ne", bias_no_ne),
                   ("kl_linear", kl_linear), ("full_knee", full_knee), ("partial_smooth", partial_smooth),
                   ("pure_bias", pure_bias), ("reg_off_bias", reg_off_bias), ("missing_run", missing_run)]:
    d = load()
    if edit:
        edit(d)
    for o in OUTS:
        os.makedirs(os.path.join(tmp, name, o), exist_ok=True)
        for f in ("runs", "trace"):
            d[o][f].to_csv(os.path.join(tmp, name, o, f + ".csv"), index=False)
    try:
        result[name] = [[c.claim, bool(c.passed)] for c in m.claims(reproduction.Results(os.path.join(tmp, name)), True)]
    except reproduction.MissingData as e:
        result[name] = "MissingData: " + str(e)
print(json.dumps(result))
"""
code, out, err = call(["bash", os.path.join(SRC, "scripts", "python.sh"), "-c", EDITS, SRC, TMP], SRC)
check("claims ran", code == 0, err[-3000:])
got = json.loads(out.strip().splitlines()[-1]) if code == 0 and out.strip() else {}

KEYS = {  # a claim's key: a phrase of its text
    "certified": "measure against a certified Nash equilibrium",
    "avg_gap": "MWU's average iterate converges on every game",
    "avg_kl": "MWU's average iterate converges to the certified NE in KL",
    "omwu": "OMWU's last iterate converges to the certified NE",
    "last_vs_avg": "MWU's average ends closer to the NE than its last",
    "bias_runs": "every bias run reaches",
    "kl_quadratic": "is quadratic in beta as beta -> 0",
    "support": "where the NE has full support",
    "pure": "on games with a pure NE the bias is exponentially small",
    "reg_bias": "stops at the regularization bias",
}
EXPECTED_FAILS = {"none": [], "uncertified": ["certified"], "avg_slow": ["avg_gap"], "avg_kl_slow": ["avg_kl"],
                  "omwu_far": ["omwu", "last_vs_avg"], "mwu_avg_far": ["last_vs_avg"], "bias_no_ne": ["bias_runs"],
                  "kl_linear": ["kl_quadratic"], "full_knee": ["support"], "partial_smooth": ["support"],
                  "pure_bias": ["pure"], "reg_off_bias": ["reg_bias"]}
base = got.get("none")
if isinstance(base, list):
    for key, phrase in KEYS.items():
        check(f"claim {key} exists", sum(phrase in c for c, _ in base) == 1, f"'{phrase}' in {[c for c, _ in base]}")
for name, fails in EXPECTED_FAILS.items():
    rows = got.get(name)
    if not isinstance(rows, list):
        check(f"claims.{name}", False, f"no claims: {rows}")
        continue
    failed = sorted(k for k, phrase in KEYS.items() for c, ok in rows if phrase in c and not ok)
    others = [c for c, ok in rows if not ok and not any(phrase in c for phrase in KEYS.values())]
    check(f"claims.{name}", failed == sorted(fails) and not others,
          f"expected to fail {sorted(fails)}, failed {failed} and {others}")
check("claims.missing_run", str(got.get("missing_run", "")).startswith("MissingData: "), str(got.get("missing_run")))
check.finish(TMP)
