"""nlhf: tabular preference games and the algorithms of Nash learning from human feedback.

The same library as the command-line tools nlhf-run, nlhf-sweep and nlhf-equilibrium, from Python:

    import nlhf
    game = nlhf.game("random_uniform", n=10, seed=3, reference="softmax_normal(scale=1)")
    star = game.equilibrium(beta=0.01)                  # certified pi*_beta, with rho and step limits
    solver = nlhf.make_solver("nash_mp", eta="0.9*limit")
    result = nlhf.run_solver(solver, game, beta=0.01, iterations=500, log="log")
    result.frame.plot(x="oracle_calls", y="kl_to_star", logy=True)

    result = nlhf.run("experiments/quickstart/experiment.yaml")   # or a dict: the YAML's keys
    result.trace["gap_beta"], result.frame, result.summary        # numpy, pandas, summary.json

Bad input raises ValueError carrying the message the tools print after `error:`; a numerical
failure raises nlhf.NumericalError (its `result` holds the result where there is one, else None). Every registry
entry has a function whose help() lists its parameters: nlhf.games.random_uniform,
nlhf.references.softmax_normal, nlhf.solvers.nash_mp. See docs/python.md.
"""
from __future__ import annotations

import difflib
import inspect
import json
import math
import numbers
import os
import re
import types
import warnings
from collections.abc import Iterable, Mapping

try:
    import numpy as np
except ImportError as error:  # the interpreter is not the one the module was built for
    import sys

    raise ImportError(
        f"nlhf needs numpy, which this Python ({sys.executable}) does not have: use the interpreter the module "
        "was built for (CMake chose the first with numpy: /usr/bin/python3 after scripts/setup.sh), or run scripts "
        "with `bash scripts/python.sh`; see docs/python.md") from error

from . import _frames
from . import _nlhf
from ._nlhf import Equilibrium, Game, InternalError, NashEquilibrium, NumericalError, Solver

__version__ = _nlhf.__version__

__all__ = [
    "Equilibrium", "Game", "InternalError", "NashEquilibrium", "NumericalError", "Result", "RunWarning", "Solver",
    "SweepTaskError",
    "from_matrix", "game", "games", "listing", "make_solver", "metric_names", "references", "run", "run_solver",
    "solvers", "stability_limits", "sweep",
]

# --------------------------------------------------------------------------------------------------
# Parameters: every Python value becomes the text a spec string or YAML would hold, and the library
# parses and checks it (so "auto", "0.9*limit", ranges and messages are the tools' own).


def _text(key: str, value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))  # the shortest text that reads back to the same double
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        # A flat list of numbers, as YAML takes it: not a nested list or a 2-D array (flattened, it
        # would be a different list), and no bools or strings (read as 1 or as numbers).
        if isinstance(value, np.ndarray) and value.ndim != 1:
            raise ValueError(f"{key}: an array of shape {value.shape} is not allowed, expected a list of numbers "
                             "(one dimension)")
        items = value.tolist() if isinstance(value, np.ndarray) else list(value)
        return "[" + ",".join(repr(_float(f"{key}[{i}]", v)) for i, v in enumerate(items)) + "]"
    raise ValueError(f"{key}: {value!r} is a {type(value).__name__}, expected a number, a bool, a string or a list "
                     "of numbers")


def _raw(params: dict, owner: str) -> list[tuple[str, str]]:
    return [(str(k), _text(f"{owner}.{k}", v)) for k, v in params.items()]


_INT64_MAX = 2**63 - 1
_SEED_MAX = _nlhf._MAX_SEED  # the seeds every entry point takes (kMaxSeed, rng.h)


def _int(key: str, value, minimum: int = 0, maximum: int = _INT64_MAX) -> int:
    """An integer argument: a Python or numpy integer (not a bool, not 2.5) in [minimum, maximum] (by
    default what the library's 64-bit integers hold: a larger one would reach it wrapped around)."""
    allowed = f"an integer >= {minimum}" if maximum == _INT64_MAX else f"an integer in [{minimum}, {maximum}]"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and float(value).is_integer():
            value = int(value)  # 1e4 is fine
        else:
            raise ValueError(f"{key}: {value!r} is not allowed, expected {allowed}")
    if not minimum <= int(value) <= maximum:
        raise ValueError(f"{key}: {value!r} is not allowed, expected {allowed}"
                         + (" (at most 2**63 - 1)" if maximum == _INT64_MAX and int(value) > maximum else ""))
    return int(value)


def _float(key: str, value) -> float:
    """A real argument (not a bool); its range is the library's to check."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value[()]  # np.array(0.1): a number in an array of no dimensions
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        what = "is a string" if isinstance(value, str) else "is not allowed"
        raise ValueError(f"{key}: {value!r} {what}, expected a number")
    try:
        return float(value)
    except OverflowError:  # an int beyond a double's range (10**400)
        raise ValueError(f"{key}: {value!r} overflows (too large for a double), expected a finite number") from None


def _bool(key: str, value) -> bool:
    """A switch: True or False (a numpy bool too), never a string or a number taken by its truth
    (force="False" would be true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{key}: {value!r} is not allowed, expected True or False")
    return bool(value)


def _names(key: str, value) -> list[str]:
    """Metric names: one name or a list of them."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        names = list(value)
    except TypeError:
        raise ValueError(f"{key}: {value!r} is not allowed, expected a metric name or a list of them (see "
                         "nlhf.metric_names())") from None
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"{key}: {name!r} is not a metric name (see nlhf.metric_names())")
    return names


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise ValueError(f"experiment: {value!r} ({type(value).__name__}) is not allowed, expected numbers, strings, "
                     "bools, lists and dicts (what a YAML file holds)")


def _overrides(overrides) -> list[str]:
    """--set KEY=VALUE overrides from a dict {"game.n": 100} or a list ["game.n=100"]."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        # A string is written as is (like --set on the command line); anything else as JSON, which is YAML.
        return [f"{k}={v if isinstance(v, str) else json.dumps(v, default=_json_default)}" for k, v in overrides.items()]
    if isinstance(overrides, str):
        return [overrides]
    if not isinstance(overrides, Iterable):
        raise ValueError(f"overrides: {overrides!r} is not allowed, expected a dict {{'game.n': 100}} or a list "
                         "['game.n=100']")
    return [str(s) for s in overrides]


def _jobs(jobs) -> int:
    # (At most what the tools' --jobs takes: the library counts workers in an int.)
    return (os.cpu_count() or 1) if jobs is None else _int("jobs", jobs, 1, 2**31 - 1)


def _source(experiment):
    """(source, is_text) for an experiment given as a YAML path or as a dict of its keys."""
    if isinstance(experiment, (str, os.PathLike)):
        return os.fspath(experiment), False
    if isinstance(experiment, dict):
        return json.dumps(experiment, default=_json_default), True  # JSON is YAML
    raise ValueError(f"experiment: {type(experiment).__name__} is not allowed, expected a YAML file's path or a "
                     "dict of the experiment's keys")


# --------------------------------------------------------------------------------------------------
# Results


class Result(dict):
    """A run's or a sweep's results: a dict whose keys are also attributes.

    run() and run_solver(): trace (dict of numpy arrays, the columns of trace.csv), frame (the same as
    a pandas DataFrame, None without pandas), summary (dict). run() also has config (the resolved
    YAML: `nlhf-run` reproduces the run from it); its summary is summary.json, a list with one dict
    per run, while run_solver's is one dict. sweep(): trace, runs and summary (its three CSV
    files, as DataFrames when pandas is installed, else dicts of numpy arrays) and report.
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        parts = []
        for k, v in self.items():
            if isinstance(v, dict):
                parts.append(f"{k}: dict of {len(v)}")
            elif v is None or isinstance(v, (str, int, float)):
                parts.append(f"{k}: {v!r}" if not isinstance(v, str) or len(v) < 60 else f"{k}: str")
            else:
                parts.append(f"{k}: {type(v).__name__}")
        return "nlhf.Result(" + ", ".join(parts) + ")"


class RunWarning(UserWarning):
    """What a run's summary warns about (a step above the stability limit, a stalled metric, an
    equilibrium that could not be certified): issued with warnings.warn, and kept in the summary."""


class SweepTaskError(RuntimeError):
    """Tasks of a sweep failed (an error that is neither bad input nor numerical); calling sweep()
    again retries them. `result` holds what the sweep reported."""

    result = None


def _in_python_terms(error: ValueError) -> ValueError:
    """A message of the tools' engine in the words of this API: out= for --out, force=True for --force,
    overrides for --set, shard= for --shard, jobs for --jobs. (Hints that name a command, such as
    "nlhf-run --list games", stay as they are.)"""
    text = str(error).replace("--out", "out").replace("--force", "force=True").replace("--set ", "overrides ")
    text = re.sub(r"--shard (\d+/\d+|K/N)", r"shard='\1'", text)
    for flag, name in (("--shard", "shard"), ("--jobs", "jobs")):
        text = re.sub(flag + r"\b", name, text)
    return ValueError(text)


def _raise_numerical(message: str, result):
    error = NumericalError(message)
    error.result = result
    raise error


def _warn(summaries):
    """The summaries' warnings as RunWarning, named as nlhf-run's notes name them ("nash_md seed 0: ...")."""
    for summary in summaries:
        where = (f"{summary['label']} seed {summary['seed']}" if "label" in summary and "seed" in summary
                 else summary.get("params", ""))
        for text in summary.get("warnings", []):
            warnings.warn(f"{where}: {text}" if where else text, RunWarning, stacklevel=3)


# --------------------------------------------------------------------------------------------------
# Games


def game(spec: str, /, *, reference="uniform", seed: int = 0, storage: str | None = None, **params) -> Game:
    """A game from the registry: by spec string, by name and keyword parameters, or both.

        nlhf.game("bradley_terry(n=20,scale=1)", reference="softmax_normal(scale=1)", seed=3)
        nlhf.game("random_uniform", n=10, seed=3)

    reference: a reference spec string (see nlhf.references) or a numpy array mu. seed: the run seed,
    which every `seed` parameter left out follows. storage: auto, dense, float32 or implicit (how P is
    held). Bad input raises ValueError with the message nlhf-run would print.
    """
    mu = None
    if reference is None:  # (as from_matrix's default)
        reference = "uniform"
    if not isinstance(reference, str):
        if isinstance(reference, (Mapping, bytes)) or not (isinstance(reference, (list, tuple)) or
                                                          hasattr(reference, "__array__")):
            raise ValueError(f"reference: {type(reference).__name__} is not allowed, expected a reference spec string "
                             "(nlhf.references), e.g. 'zipf(s=1)', or a numpy array mu")
        mu, reference = reference, "uniform"
    if not isinstance(spec, str):
        raise ValueError(f"game: {spec!r} is not allowed, expected a generator's name or spec string (nlhf.games)")
    for key, given in (("game", spec), ("reference", reference)):
        if given.strip().startswith("array("):
            raise ValueError(f"{key}: {given!r} is the spec of an array (nlhf.from_matrix, or a mu given as an array), "
                             "which a spec cannot rebuild, expected nlhf.from_matrix(P, mu) with the same arrays "
                             "(the spec's sha256 identifies them)")
    try:
        return _nlhf._game(spec, _raw(params, "game"), "" if storage is None else str(storage), reference, mu,
                           _int("seed", seed, maximum=_SEED_MAX))
    except ValueError as e:
        # A misspelled keyword of game() reaches the generator as a parameter of its own.
        for k in params:
            close = difflib.get_close_matches(k, ["reference", "seed", "storage"], n=1, cutoff=0.75)
            if close and f"unknown parameter '{k}'" in str(e) and "did you mean" not in str(e):
                raise type(e)(f"{e} (or did you mean game()'s keyword {close[0]}=?)") from None
        raise


def from_matrix(P, mu=None, *, reference: str | None = None, seed: int = 0) -> Game:
    """A game from a numpy matrix P (n x n, P + P^T = 1, entries in [0, 1]) and a reference: the array mu,
    or a reference spec string (`reference`, drawn with `seed`; default uniform), not both. Validated
    entry by entry: ValueError names the first bad entry."""
    if mu is not None and reference is not None:
        raise ValueError(f"reference: {reference!r} is given with mu, expected one of them: mu (an array) or "
                         "reference (a spec string)")
    try:
        return _nlhf._game_from_matrix(P, mu, "uniform" if reference is None else reference,
                                       _int("seed", seed, maximum=_SEED_MAX))
    except ValueError as e:
        raise _float32_hint(e, ("P", P), ("mu", mu)) from None


def _float32_hint(error: ValueError, *arrays) -> ValueError:
    """`error`, with a hint when an array it names was given in single precision: its sums and
    symmetry cannot hold to the library's tolerances (P + P^T = 1 within 1e-12, a policy's sum
    within 1e-9)."""
    tolerance = "expected P + P^T = 1 within" in str(error) or "sums to" in str(error)
    for key, value in arrays:
        # (numpy's float32, or torch's: str(torch.float32) is "torch.float32")
        if tolerance and str(getattr(value, "dtype", "")).endswith("float32") and str(error).startswith(f"{key}"):
            return type(error)(f"{error} ({key} is float32, whose 7 digits cannot meet that tolerance: convert it with "
                               f"{key}.astype(np.float64) and restore the identity in double precision"
                               + (", e.g. P = (P + 1 - P.T) / 2)" if key == "P" else f", e.g. {key} = {key} / {key}.sum())"))
    return error


def _name(key: str, value, allowed: str) -> str:
    """A name the library checks (a method, a selection rule): a string, or a ValueError that says so."""
    if not isinstance(value, str):
        raise ValueError(f"{key}: {value!r} is not allowed, expected {allowed}")
    return value


def _equilibrium(self, beta: float, *, tolerance: float = 1e-12, method: str = "auto", strict: bool = True):
    """The certified regularized equilibrium pi*_beta (beta > 0), with rho and each method's step limits.

    tolerance: the certificate gap_beta(pi*) must not exceed it. method: auto, dense or krylov.
    strict: an equilibrium that cannot be certified raises NumericalError (its `result` is the best
    effort); strict=False returns it with certified = False.
    """
    strict = _bool("strict", strict)
    eq = self._equilibrium(_float("beta", beta), _float("tolerance", tolerance),
                           _name("method", method, "auto, dense or krylov"))
    if strict and not eq.certified:
        _raise_numerical(f"pi* at beta = {beta} was not certified: {eq.message}", eq)
    return eq


def _nash_equilibrium(self, selection: str = "kl_projection", *, tolerance: float = 1e-9, strict: bool = True):
    """The certified Nash equilibrium of the beta = 0 game: selection kl_projection (the limit of pi*_beta
    as beta -> 0) or max_entropy. strict: an uncertified result raises NumericalError."""
    strict = _bool("strict", strict)
    ne = self._nash_equilibrium(_name("selection", selection, "kl_projection or max_entropy"),
                                _float("tolerance", tolerance))
    if strict and not ne.certified:
        _raise_numerical(f"the beta = 0 equilibrium was not certified: {ne.message}", ne)
    return ne


def _of_type(key: str, value, kind, how: str, optional: bool = True):
    """`value` if it is a `kind` (or None where `optional`), else a ValueError that says what is expected."""
    if value is None and not optional:
        raise ValueError(f"{key}: is None, expected an nlhf.{kind.__name__} ({how})")
    if value is not None and not isinstance(value, kind):
        raise ValueError(f"{key}: {type(value).__name__} is not allowed, expected an nlhf.{kind.__name__} ({how})"
                         + (" or None" if optional else ""))
    return value


def _metrics(self, beta: float, pi=None, *, logits=None, star=None, ne=None, which=None) -> dict:
    """The closed-form metrics of a policy (pi: probabilities, or logits=), as a dict name -> value.

    star: game.equilibrium(beta) of this game at this beta (for kl_to_star, kl_from_star, span); ne:
    game.nash_equilibrium() (for kl_to_ne, and at beta = 0 for kl_to_star too). which: a metric name
    or a list of them (default: every one that can be computed). NaN raises NumericalError; +inf is a
    value (the KL to a policy with zeros).
    """
    if (pi is None) == (logits is None):
        raise ValueError("policy: give exactly one of pi (probabilities) and logits")
    names = _names("which", which)
    if which is not None and not names:  # (as run_solver's metrics=[]: an empty list is no request for all)
        raise ValueError(f"which: is empty, expected at least one of {', '.join(metric_names())} (or None for every "
                         "one that can be computed)")
    try:
        return _nlhf._metrics(self, _float("beta", beta), pi if logits is None else logits, logits is not None,
                              _of_type("star", star, Equilibrium, "game.equilibrium(beta)"),
                              _of_type("ne", ne, NashEquilibrium, "game.nash_equilibrium()"), names)
    except ValueError as e:
        raise _float32_hint(e, ("pi", pi)) from None


_reset = Solver.reset


def _solver_reset(self, game: Game, beta: float, *, equilibrium: Equilibrium | None = None, rho: float | None = None,
                  seed: int = 0, init=None):
    """Bind to `game` at strength `beta` and start from mu (or from the logits `init`); this also restarts
    the solver. A step of `auto` or `X*limit` needs rho: from `rho`, else from `equilibrium`
    (game.equilibrium(beta) of this game), else solved here. `seed` names a sampled oracle's random stream."""
    _of_type("game", game, Game, "nlhf.game(...)", optional=False)
    _of_type("equilibrium", equilibrium, Equilibrium, "game.equilibrium(beta)")
    _reset(self, game, _float("beta", beta), equilibrium, None if rho is None else _float("rho", rho),
           _int("seed", seed, maximum=_SEED_MAX), init)


_step = Solver.step


def _solver_step(self, count: int = 1):
    """Make `count` iterations (an integer >= 1; the GIL is released while they run)."""
    _step(self, _int("count", count, minimum=1))


Solver.reset = _solver_reset
Solver.step = _solver_step
_game_entry = Game.entry


def _entry(self, i: int, j: int) -> float:
    return _game_entry(self, _int("i", i), _int("j", j))


_entry.__doc__ = _game_entry.__doc__


def stability_limits(beta: float, rho: float):
    return _nlhf.stability_limits(_float("beta", beta), _float("rho", rho))


stability_limits.__doc__ = _nlhf.stability_limits.__doc__
Game.entry = _entry
Game.equilibrium = _equilibrium
Game.nash_equilibrium = _nash_equilibrium
Game.metrics = _metrics


# --------------------------------------------------------------------------------------------------
# Solvers


def make_solver(spec: str, /, *, oracle: dict | None = None, **params) -> Solver:
    """A registered solver by name or spec string, with keyword parameters:

        nlhf.make_solver("nash_mp", eta=0.1)      nlhf.make_solver("egpo(eta=1.9)")
        nlhf.make_solver("omd", eta="0.9*limit")  nlhf.make_solver("nash_mp_pg", oracle={"type": "sampled", "batch": 64})

    Then solver.reset(game, beta), solver.step(k), solver.policy. help(nlhf.solvers.NAME) lists a
    solver's parameters with their defaults and allowed ranges.
    """
    if not isinstance(spec, str):
        raise ValueError(f"solver: {spec!r} is not allowed, expected a solver's name or spec string "
                         "(nlhf.solvers lists them; nlhf.solvers.NAME(...) already returns a Solver)")
    if oracle is not None and not isinstance(oracle, Mapping):
        raise ValueError(f"oracle: {oracle!r} is not allowed, expected a dict such as {{'type': 'sampled', 'batch': 64}}")
    return _nlhf._make_solver(spec, _raw(params, spec), _raw(oracle or {}, "oracle"))


# run_solver's keyword for a stop: or log: key of the YAML reader's table, where it differs (log= is
# log.spacing). The library sets each through that table: its parse, ranges and words.
_RUN_OPTION_KEYWORDS = {"spacing": "log"}
_RUN_OPTIONS = _nlhf.run_options()  # the table, read once


def _run_option_texts(section: str, values: dict) -> list[tuple[str, str, str]]:
    """(key, text, keyword) for each key of the stop: or log: table, from run_solver's keywords."""
    out = []
    for spec in _RUN_OPTIONS[section]:
        key = spec["name"]
        keyword = _RUN_OPTION_KEYWORDS.get(key, key)
        value = values[keyword]  # (a key without its keyword fails solver_test.py)
        if spec["type"] == "string":
            if not isinstance(value, str):
                raise ValueError(f"{keyword}: {value!r} is not allowed, expected {spec['allowed']}")
            text = value
        else:  # a number: int or double; its range is the table's to check
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                what = "is a string" if isinstance(value, str) else "is not allowed"
                raise ValueError(f"{keyword}: {value!r} {what}, expected {spec['allowed']}")
            if isinstance(value, numbers.Integral):
                text = str(int(value))
            elif spec["type"] == "int" and math.isfinite(value) and float(value).is_integer() and abs(value) < 2**63:
                text = str(int(value))  # 1e4 is fine (beyond 64 bits its repr is echoed, not 301 digits)
            else:
                text = repr(float(value))
        out.append((key, text, keyword))
    return out


def run_solver(solver, game: Game, beta: float, *, iterations: int = 1000, oracle_calls: int = 0, queries: int = 0,
               wall_s: float = 0.0, tolerance: dict | None = None, log: str = "linear", every: int = 1,
               points_per_decade: int = 20, metrics=None, equilibrium: Equilibrium | None = None,
               nash: NashEquilibrium | None = None, theory_check: bool = True, seed: int = 0,
               raise_on_failure: bool = True) -> Result:
    """Run one solver on a game with nlhf-run's driver: its stop rules, metrics and warnings.

    solver: an nlhf.Solver (reset here) or a spec string. Stop: iterations (a cap), oracle_calls,
    queries, wall_s (budgets, 0 = none), tolerance {metric: value} (stop once all hold). Log: "linear"
    (every `every` iterations) or "log" (points_per_decade); metrics: names (default: all that apply).
    equilibrium: pi*_beta if already solved (else it is solved here, as nlhf-run does).

    Returns a Result: trace (dict of numpy arrays: iter, oracle_calls, queries, wall_s and one column per
    metric, NaN where not computed), frame (DataFrame), summary (termination, final metrics, policy,
    warnings, theory check), params (the solver's canonical spec). A run that ends in numerical failure
    raises NumericalError with the result attached (raise_on_failure=False returns it). The trace is
    kept in memory: for very long runs log on a log scale (log="log") or every k-th iteration.
    """
    raise_on_failure = _bool("raise_on_failure", raise_on_failure)
    if isinstance(solver, str):
        solver = make_solver(solver)
    if not isinstance(solver, Solver):
        raise ValueError(f"solver: {type(solver).__name__} is not allowed, expected an nlhf.Solver "
                         "(nlhf.make_solver(...)) or a spec string")
    _of_type("game", game, Game, "nlhf.game(...)", optional=False)
    stop = _run_option_texts("stop", {"iterations": iterations, "oracle_calls": oracle_calls, "queries": queries,
                                      "wall_s": wall_s})
    logging = _run_option_texts("log", {"log": log, "every": every, "points_per_decade": points_per_decade})
    if tolerance is not None and not isinstance(tolerance, Mapping):
        raise ValueError(f"tolerance: {tolerance!r} is not allowed, expected a dict {{metric: value}}, e.g. "
                         "{'gap_beta': 1e-10}")
    tolerances = [(str(k), _float(f"tolerance.{k}", v)) for k, v in (tolerance or {}).items()]
    names = _names("metrics", metrics)
    if metrics is not None and not names:
        raise ValueError(f"metrics: is empty, expected at least one of {', '.join(metric_names())} (or None for "
                         "the default set)")
    out = _nlhf._run_solver(solver, game, _float("beta", beta),
                            _of_type("equilibrium", equilibrium, Equilibrium, "game.equilibrium(beta)"),
                            _of_type("nash", nash, NashEquilibrium, "game.nash_equilibrium()"), stop, tolerances,
                            logging, names, _bool("theory_check", theory_check),
                            _int("seed", seed, maximum=_SEED_MAX))
    result = Result(trace=out["trace"], frame=_frames.frame(out["trace"]), summary=out["summary"], params=out["params"])
    _warn([dict(result.summary, params=out["params"])])
    if raise_on_failure and result.summary["termination"] == "numerical_failure":
        _raise_numerical(f"{out['params']}: {result.summary['message']}", result)
    return result


def _run_options_doc() -> str:
    """run_solver's stop and log keywords as the table gives them (defaults, ranges)."""
    lines = ["", "    The stop and log keywords are the YAML reader's stop: and log: keys, read and checked by the same",
             "    table (nlhf-run's words for a refused value):"]
    for section in ("stop", "log"):
        for spec in _RUN_OPTIONS[section]:
            keyword = _RUN_OPTION_KEYWORDS.get(spec["name"], spec["name"])
            lines.append(f"        {keyword} ({section}.{spec['name']}): {spec['doc']}; default {spec['default']}; "
                         f"allowed: {spec['allowed']}")
    return "\n".join(lines) + "\n"


if run_solver.__doc__:  # (python -OO strips docstrings)
    run_solver.__doc__ += _run_options_doc()


# --------------------------------------------------------------------------------------------------
# Experiments and sweeps: the engines of nlhf-run and nlhf-sweep


def _trace_columns(runs: list, rows: dict) -> dict:
    counts = [r["rows"] for r in runs]
    columns = {}
    for name in ("experiment", "run_id", "game", "n", "beta", "reference", "solver", "label", "params", "seed"):
        values = [r[name] for r in runs]
        # Seeds as int64 like any integer column pandas reads (uint64 only where one is >= 2^63).
        big = name == "seed" and any(v >= 2**63 for v in values)
        dtype = (np.int64 if name in ("n", "seed") and not big else np.uint64 if big else
                 np.float64 if name == "beta" else object)
        columns[name] = np.repeat(np.array(values, dtype=dtype), counts)
    columns.update(rows)
    return columns


def run(experiment, *, overrides=None, jobs: int | None = None, progress: bool = False,
        raise_on_failure: bool = True) -> Result:
    """Run an experiment as nlhf-run does, keeping the results in memory (no run directory).

    experiment: a YAML file's path, or a dict with the same keys (docs/file-formats.md), e.g.
        {"game": {"type": "random_uniform", "n": 10}, "beta": 0.01, "seeds": [0, 1],
         "solvers": [{"name": "nash_mp"}, {"name": "egpo", "eta": 1.9}], "stop": {"iterations": 500}}
    overrides: like --set, {"game.n": 100, "seeds": [0, 1]} or ["game.n=100"]. jobs: parallel runs
    (default: all cores; results do not depend on it). progress: nlhf-run's progress display on stderr.

    Returns a Result: trace (dict of numpy arrays, trace.csv's columns and values in its order; an
    empty cell and a computed NaN are both NaN), frame (the same as a DataFrame), summary
    (summary.json: a list with one dict per run), config (the resolved YAML). The summaries' warnings
    are also issued as RunWarning. A run ending in numerical failure raises NumericalError with the
    result attached; raise_on_failure=False returns the result instead (check each summary's
    termination). Error messages call the tools' flags by this API's names (overrides for --set).
    """
    raise_on_failure = _bool("raise_on_failure", raise_on_failure)
    source, is_text = _source(experiment)
    try:
        out = _nlhf._run(source, is_text, _overrides(overrides), os.getcwd(), _jobs(jobs), _bool("progress", progress))
    except ValueError as error:
        raise _in_python_terms(error) from None
    trace = _trace_columns(out["runs"], out["trace"])
    result = Result(trace=trace, frame=_frames.frame(trace), summary=json.loads(out["summary_json"]),
                    config=out["config"])
    _warn(result.summary)
    if raise_on_failure and out["numerical_failures"] > 0:
        _raise_numerical(f"{out['numerical_failures']} run(s) ended in numerical failure (see result.summary)", result)
    return result


def sweep(experiment, out: str | os.PathLike | None = None, *, overrides=None, jobs: int | None = None,
          force: bool = False, shard: str | None = None, progress: bool = False,
          raise_on_failure: bool = True) -> Result:
    """Run a sweep as nlhf-sweep does, into the directory `out` (default: the file's output).

    experiment: a sweep file's path, or a dict with its keys (an experiment plus `sweep:` and `zip:`).
    Resumable: calling it again runs only the missing tasks (also after Ctrl-C); the directory is
    locked against a second writer and holds only files nlhf-sweep writes (force=True replaces one it
    wrote for another sweep). shard: "K/N" for one part of it.

    Returns a Result: report (what ran; reused_builds lists the kept tasks another build of nlhf
    computed, also issued as a RunWarning), and once the sweep is complete, trace, runs and summary
    (its CSV files; DataFrames with pandas, else dicts of numpy arrays). NumericalError if a run failed
    numerically, SweepTaskError if a task failed (calling again retries it); both carry the result.
    """
    raise_on_failure = _bool("raise_on_failure", raise_on_failure)
    force = _bool("force", force)
    progress = _bool("progress", progress)
    source, is_text = _source(experiment)
    if out is not None and not isinstance(out, (str, os.PathLike)):
        raise ValueError(f"out: {out!r} is not allowed, expected a directory path (or out=None for runs/<name>)")
    if out is not None and os.fspath(out) == "":
        raise ValueError("out: is empty, expected a directory (or out=None for runs/<name>)")
    try:
        report = _nlhf._sweep(source, is_text, "" if out is None else os.fspath(out), _overrides(overrides),
                              os.getcwd(), _jobs(jobs), force, "" if shard is None else str(shard), progress)
    except ValueError as error:
        raise _in_python_terms(error) from None
    result = Result(report=report)
    if report["reused_builds"]:  # as nlhf-sweep's note
        builds = ", ".join(f"{b['tasks']} by {b['name']}" for b in report["reused_builds"])
        warnings.warn(f"of the tasks kept from before, {builds} were computed by another build than this one "
                      f"({_nlhf._BUILD_NAME}): their results are reused, not computed again; force=True "
                      "computes every task again with this build", RunWarning, stacklevel=2)
    directory = report["out"]
    if shard is None and report["task_failures"] == 0:
        for name in ("trace", "runs", "summary"):
            path = os.path.join(directory, f"{name}.csv")
            table = _frames.read_csv_frame(path)
            result[name] = table if table is not None else _frames.read_csv_columns(path)
    if raise_on_failure and report["task_failures"] > 0:
        error = SweepTaskError(f"{report['task_failures']} of {report['tasks']} tasks failed (the first: "
                               f"{report['first_failure']}); call sweep() again to retry them")
        error.result = result
        raise error
    if raise_on_failure and report["numerical_failures"] > 0:
        _raise_numerical(f"{report['numerical_failures']} run(s) ended in numerical failure (see result.runs)", result)
    return result


# --------------------------------------------------------------------------------------------------
# Registries: one function per entry, documented from the entry's parameter table.


def listing(what: str) -> str:
    """The text of `nlhf-run --list WHAT`: games, references, solvers or metrics."""
    if not isinstance(what, str):
        raise ValueError(f"what: {what!r} is not allowed, expected games, references, solvers or metrics")
    try:
        return _nlhf.listing(what)
    except ValueError as error:  # "--list: 'foo' is not a listing, ..." names this argument
        raise ValueError(re.sub(r"^--list\b", "what", str(error))) from None


def metric_names() -> list[str]:
    """The metrics, in trace column order."""
    return [m["name"] for m in _nlhf.metric_table()]


class _DefaultDoc(str):
    """A default that depends on the context ("2 beta", "run seed"), shown as <2 beta> in signatures."""

    def __repr__(self):
        return f"<{self}>"


def _default(param: dict):
    if not param["has_default"]:
        return _DefaultDoc(param["default"])
    text = param["default"]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text, text)


def _signature(entry: dict, extra: list[inspect.Parameter]) -> inspect.Signature:
    params = [inspect.Parameter(p["name"], inspect.Parameter.KEYWORD_ONLY, default=_default(p))
              for p in entry["params"] if p["name"] not in {e.name for e in extra}]
    return inspect.Signature(params + extra)


def _entry_function(kind: str, name: str, first: str | None, make):
    """nlhf.<kind>.<name>: keyword arguments only (a positional one was once taken as the entry's name)."""
    def function(*args, **params):
        if args:
            example = f", as in nlhf.{kind}.{name}({first}=...)" if first else ""
            raise TypeError(f"nlhf.{kind}.{name}() takes keyword arguments only ({len(args)} positional given): "
                            f"name each parameter{example}; help(nlhf.{kind}.{name}) lists them")
        return make(name, **params)
    return function


def _namespace(kind: str, make, extra: list[inspect.Parameter], doc: str) -> types.SimpleNamespace:
    functions = {}
    for entry in _nlhf.registry(kind):
        name = entry["name"]
        function = _entry_function(kind, name, entry["params"][0]["name"] if entry["params"] else None, make)
        function.__name__ = function.__qualname__ = name
        function.__doc__ = _nlhf.entry_doc(kind, name)
        function.__signature__ = _signature(entry, extra)
        functions[name] = function
    namespace = types.SimpleNamespace(**functions)
    namespace.__doc__ = doc
    return namespace


def _make_reference(name: str, **params) -> str:
    return name if not params else f"{name}(" + ",".join(f"{k}={v}" for k, v in _raw(params, name)) + ")"


_KW = inspect.Parameter.KEYWORD_ONLY
games = _namespace(
    "games", lambda name, **p: game(name, **p),
    [inspect.Parameter("reference", _KW, default="uniform"), inspect.Parameter("seed", _KW, default=0),
     inspect.Parameter("storage", _KW, default=None)],
    "One function per game generator, returning an nlhf.Game: nlhf.games.random_uniform(n=10, seed=3).")
references = _namespace(
    "references", _make_reference, [],
    "One function per reference policy, returning its spec string for game(..., reference=...).")
solvers = _namespace(
    "solvers", lambda name, **p: make_solver(name, **p), [inspect.Parameter("oracle", _KW, default=None)],
    "One function per solver, returning an unbound nlhf.Solver: nlhf.solvers.nash_mp(eta=0.1).")
