"""experiments/action_space_huge's claims can reject: on the quick sweep every claim passes, and each
of five edits of its CSV files (a slope that depends on n, a KL above the bound, an uncertified pi*, a
floor inside the fit window, a missing trace row) fails the claim that guards against it and no
other. The claims need pandas, so they run through scripts/python.sh; this script itself uses the
standard library only. Usage: action_space_huge_claims_test.py BIN_DIR SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="nlhf_action_space_huge_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call, quick_sweep, reproduce_value  # noqa: E402

check = Checks()
EXP = os.path.join(SRC, "experiments", "action_space_huge")
# The quick overrides, read from the experiment (the test follows its --quick grid).
code, sets, err = reproduce_value(SRC, "action_space_huge", "m.SWEEPS[0].quick")
check("quick overrides", code == 0, err)
sets = sets or []
code, out, err = quick_sweep(BIN, os.path.join(EXP, "sweep.yaml"), os.path.join(TMP, "base", "rates"), sets, TMP)
check("sweep", code == 0, out + err)

# Each case: an edit of trace.csv / runs.csv (pandas, in the child) and the claims it must fail (by
# position: 0 certified, 1 bound, 2 window above the floor, 3 slopes agree, 4 slope at the largest n).
EDITS = r"""
import importlib.util, json, os, shutil, sys
import numpy as np, pandas as pd
src, tmp = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "experiments"))
import reproduction
spec = importlib.util.spec_from_file_location("m", os.path.join(src, "experiments", "action_space_huge", "reproduce.py"))
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
base = os.path.join(tmp, "base", "rates")

def steeper(t, r):  # the largest n at beta = 0.01 decays 3% faster per call: the slopes depend on n
    sel = (t["n"] == t["n"].max()) & (t["beta"] == 0.01)
    t.loc[sel, "kl_to_star"] *= np.exp(-0.03 * np.log1p(0.02) * t.loc[sel, "oracle_calls"])
def above_bound(t, r):  # one KL at N = 10 doubled: above (1+2beta)^(-N/2) KL_0
    t.loc[t.index[(t["n"] == t["n"].min()) & (t["oracle_calls"] == 10)][0], "kl_to_star"] *= 2
def uncertified(t, r):  # an empty certificate (pi* not certified)
    r.loc[0, "target_gap_beta"] = np.nan
def high_floor(t, r):  # a floor at 1e-22: less than 10^3 below the window
    sel = (t["n"] == t["n"].min()) & (t["beta"] == 0.1)
    t.loc[sel, "kl_to_star"] = np.maximum(t.loc[sel, "kl_to_star"], 1e-22)
def missing_row(t, r):
    t.drop(t.index[5], inplace=True)

result = {}
for name, edit in [("none", None), ("steeper", steeper), ("above_bound", above_bound),
                   ("uncertified", uncertified), ("high_floor", high_floor), ("missing_row", missing_row)]:
    d = os.path.join(tmp, name, "rates")
    os.makedirs(d, exist_ok=True)
    t, r = pd.read_csv(os.path.join(base, "trace.csv")), pd.read_csv(os.path.join(base, "runs.csv"))
    if edit:
        edit(t, r)
    t.to_csv(os.path.join(d, "trace.csv"), index=False)
    r.to_csv(os.path.join(d, "runs.csv"), index=False)
    try:
        result[name] = [bool(c.passed) for c in m.claims(reproduction.Results(os.path.join(tmp, name)), True)]
    except reproduction.MissingData as e:
        result[name] = str(e)
print(json.dumps(result))
"""
code, out, err = call(["bash", os.path.join(SRC, "scripts", "python.sh"), "-c", EDITS, SRC, TMP], SRC)
check("claims ran", code == 0, err[-3000:])
got = json.loads(out.strip().splitlines()[-1]) if code == 0 and out.strip() else {}
EXPECTED_FAILS = {"none": [], "steeper": [3, 4], "above_bound": [1], "uncertified": [0], "high_floor": [2],
                  "missing_row": [0]}
for name, fails in EXPECTED_FAILS.items():
    passed = got.get(name)
    want = [i not in fails for i in range(5)]
    check(f"claims.{name}", passed == want, f"expected PASS/FAIL {want}, got {passed}")
check.finish(TMP)
