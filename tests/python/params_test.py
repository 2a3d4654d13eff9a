"""The registries in Python: one documented function per entry, whose docstring and signature come
from the same parameter tables as `nlhf-run --list`."""
import inspect

from support import Checks, call, nlhf, tool

check = Checks()
for what in ("games", "references", "solvers", "metrics"):
    code, out, err = call([tool("nlhf-run"), "--list", what], ".")
    check(f"listing.{what}", code == 0 and nlhf.listing(what) == out, err)
try:
    nlhf.listing("algorithms")
    check("listing.bad", False, "no error")
except ValueError as e:
    check("listing.bad", "is not a listing" in str(e), str(e))

_, solvers_list, _ = call([tool("nlhf-run"), "--list", "solvers"], ".")
for kind, namespace in (("games", nlhf.games), ("references", nlhf.references), ("solvers", nlhf.solvers)):
    for entry in nlhf._nlhf.registry(kind):
        fn = getattr(namespace, entry["name"], None)
        check(f"{kind}.{entry['name']}.exists", callable(fn))
        if not callable(fn):
            continue
        doc = inspect.getdoc(fn) or ""
        check(f"{kind}.{entry['name']}.doc", entry["doc"] in doc, doc[:200])
        sig = inspect.signature(fn)
        for p in entry["params"]:
            # Each parameter's line: type, default and the allowed range, as --list prints them.
            line = f"{p['name']} : {p['type']}, default {p['default']}"
            check(f"{kind}.{entry['name']}.{p['name']}.doc", line in doc and f"allowed: {p['allowed']}" in doc,
                  f"{line!r} / {p['allowed']!r} not in {doc!r}")
            check(f"{kind}.{entry['name']}.{p['name']}.signature", p["name"] in sig.parameters, str(sig))
            if kind == "solvers":
                check(f"{kind}.{entry['name']}.{p['name']}.in_list", p["allowed"] in solvers_list)

# help() shows each parameter's default and allowed range.
text = nlhf.solvers.nash_mp.__doc__
check("help.nash_mp", "eta : double, default 2 beta" in text and "allowed: number > 0 or auto or X*limit" in text, text)
check("signature.default_doc", "eta=<2 beta>" in str(inspect.signature(nlhf.solvers.nash_mp)),
      str(inspect.signature(nlhf.solvers.nash_mp)))
check("signature.number", inspect.signature(nlhf.games.random_uniform).parameters["n"].default == 10)
check("reference.spec", nlhf.references.softmax_normal(scale=2.5) == "softmax_normal(scale=2.5)")
# Keyword arguments only: a positional one is a TypeError, never taken as another entry's name.
for k, (fn, arg) in enumerate([(nlhf.games.random_uniform, "rps3"), (nlhf.solvers.nash_mp, "omd"),
                               (nlhf.references.softmax_normal, 2.0), (nlhf.games.rps3, 0.9)]):
    try:
        got = fn(arg)
        check(f"positional.{k}", False, f"no error: {got!r}")
    except TypeError as e:
        check(f"positional.{k}", "takes keyword arguments only (1 positional given)" in str(e), str(e))
check("metric_names", nlhf.metric_names()[:2] == ["gap_beta", "exploitability"], str(nlhf.metric_names()))
check("version", isinstance(nlhf.__version__, str) and nlhf.__version__.count(".") == 2, nlhf.__version__)
check.finish()
