"""Reproduces the papers' experiments: runs experiments/<name>/ through nlhf-sweep, draws every
figure with plots/, checks every claim and prints the claims table.

Usage: bash scripts/reproduce.sh [--quick] [--out DIR] [--jobs N] [--publish] [NAME...]
       bash scripts/reproduce.sh --list
See experiments/README.md. Exit codes: 0 every claim passed and every figure was drawn; 1 a claim
failed, a figure could not be drawn or a sweep failed; 2 bad usage or an unusable output directory;
130 interrupted by Ctrl-C, 143 by SIGTERM (run the same command again: finished work is kept); 3 a bug
(an experiment module that cannot be loaded).
"""
from __future__ import annotations

import argparse
import csv
import datetime
import difflib
import fcntl
import importlib.util
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "experiments"))
import reproduction  # noqa: E402  (experiments/reproduction.py)

# The order of the issue and of the README; experiments found but not listed here come after.
ORDER = ["egpo_tabular", "nash_mp_rates", "beta_scaling", "action_space", "action_space_huge", "step_sizes",
         "intransitive", "sampled_feedback", "self_play_stability", "egpo_empirical"]
MARKER = ".nlhf-reproduction"
# The sweeps' tasks this call reused from other builds of nlhf: (git commit, tasks), per sweep.
REUSED: list[tuple[str, int]] = []
COLUMNS = ["experiment", "claim", "source", "expected", "measured", "result"]


def fail(message: str, code: int = 2):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


class Parser(argparse.ArgumentParser):
    """Bad usage is one `error:` line and exit 2, as in the C++ tools (not argparse's usage block)."""

    def error(self, message):
        fail(f"{message} (see scripts/reproduce.sh --help)")


def discover(folder: Path) -> dict[str, Path]:
    found = {p.parent.name: p for p in folder.glob("*/reproduce.py")}
    names = [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)
    return {n: found[n] for n in names}


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(f"experiments_{name}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # a broken experiment module is a bug of the repository
        fail(f"{path}: cannot be loaded ({type(e).__name__}: {e}); this is a bug", 3)
    for attr in ("TITLE", "SWEEPS", "FIGURES", "claims"):
        if not hasattr(module, attr):
            fail(f"{path}: defines no {attr} (see experiments/reproduction.py)", 3)
    return module


def write_atomic(path: Path, text: str):
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        fail(f"writing {path}: {e.strerror}")


def foreign_entries(folder: Path, figures: set[Path], top: Path) -> list[Path]:
    """What in `folder` nlhf did not write: everything but reproduction results directories, nlhf-sweep
    or nlhf-run output directories (their markers), the figures an experiment's README draws by hand
    (`figures`, relative to `top`: <name>/<figure>.png and .pdf) and folders holding only those."""
    found = []
    for p in sorted(folder.iterdir()):
        if p == top / ".lock":  # a first writer's, before it has marked the directory: the lock decides
            continue
        if p.is_dir() and not p.is_symlink():
            if (p / MARKER).exists() or (p / ".nlhf-output").exists():
                continue
            found += foreign_entries(p, figures, top) if any(p.iterdir()) else []
        elif p.relative_to(top) not in figures:
            found.append(p)
    return found


def claims_title(mode: str) -> str:
    """claims.md's first line (write_tables writes it; marked_mode reads the mode back from it)."""
    return f"# Claims of the {mode} reproduction"


def marked_mode(out: Path) -> str | None:
    """The mode (quick or full) of the reproduction that wrote `out`, from its marker; an empty marker
    (written before the marker held the mode) is read from claims.md's title. None: not known."""
    text = (out / MARKER).read_text().strip()
    if text in ("quick", "full"):
        return text
    try:
        title = (out / "claims.md").read_text().split("\n", 1)[0]
    except OSError:
        return None
    return next((m for m in ("quick", "full") if title == claims_title(m)), None)


def claim_output(out: Path, mode: str, names: list[str], experiments: dict[str, Path]):
    """Checks the results directory and takes its lock; returns the open lock file. A directory holds
    the results of one mode: a quick call into a full reproduction's directory (or the reverse) would
    mix the two in one claims table and replace one's figures with the other's."""
    if out.exists() and not out.is_dir():
        fail(f"{out}: --out: is not a directory, expected a directory for the results")
    # Before its own first run, results/ may already hold what nlhf wrote there: results/quick/ (a
    # marked results directory) or a sweep a user ran by hand into results/<name>/<sweep>/, and its
    # figure drawn into results/<name>/, as an experiment's README shows. Anything else is the user's.
    figures = {Path(name) / f"{fig.out}{ext}" for name, path in experiments.items()
               for fig in load(name, path).FIGURES for ext in (".png", ".pdf")}
    try:
        marked = (out / MARKER).exists()
        foreign = [] if marked or not out.is_dir() else foreign_entries(out, figures, out)
        # An experiment's folder that is itself an nlhf-run or nlhf-sweep output directory is not ours
        # to fill with figures and claims.
        taken = [n for n in names if (out / n / ".nlhf-output").exists()]
    except OSError as e:
        fail(f"{out}: --out: {e.strerror}, expected a readable, writable directory")
    if foreign:
        shown = ", ".join(str(p.relative_to(out)) for p in foreign[:3]) + (" and more" if len(foreign) > 3 else "")
        fail(f"{out}: --out: holds files this script did not write ({shown}), expected a new directory or "
             f"one an earlier reproduction wrote")
    if taken:
        fail(f"{out}: --out: its folder {taken[0]}/ is an nlhf-run or nlhf-sweep output directory, where this script "
             f"would put {taken[0]}'s sweeps, figures and claims, expected a directory whose {taken[0]}/ is free (a new "
             f"one, or one an earlier reproduction wrote)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = open(out / ".lock", "w")
    except OSError as e:
        fail(f"{out}: --out: {e.strerror}, expected a writable directory")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fail(f"{out}: --out: another reproduction is writing it now ({out / '.lock'} is locked), expected one "
             f"writer at a time")
    # (Read under the lock: a writer that held it may have marked the directory since the checks above.)
    marker = out / MARKER
    try:
        marked = marker.exists()
        earlier = marked_mode(out) if marked else None
        # An empty marker (an earlier version's) and no claims.md to read the mode from: results of an
        # unknown mode, which this call could mix with its own.
        unknown = marked and earlier is None and any(p.is_dir() for p in out.iterdir())
    except OSError as e:
        fail(f"{out}: --out: {e.strerror}, expected a readable, writable directory")
    if earlier is not None and earlier != mode:
        default = "results/quick/" if mode == "quick" else "results/"
        fail(f"{out}: --out: holds the results of a {earlier} reproduction, expected a directory for {mode} results "
             f"(the default is {default}): one directory, one claims table, one mode")
    if unknown:
        fail(f"{out}: --out: holds results of an earlier version of this script that did not record whether they "
             f"are quick or full, expected a directory whose mode is known (write quick or full into "
             f"{out / MARKER} if you know it)")
    write_atomic(marker, mode + "\n")  # (again where it says so already: a legacy marker gets the mode)
    return lock


def markdown(rows: list[dict], columns: list[str]) -> str:
    def cell(v: str) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def terminal_table(rows: list[dict]) -> str:
    """The claims table for a terminal: every row and every word of its claim, expected and measured
    cells, long ones wrapped within their column (a blank line around rows that wrap); claims.md also
    has each claim's source."""
    # Fit the terminal (COLUMNS or its width; at least 120): claim 40%, expected 20%, measured 40%
    # (the sources are in claims.md). The experiment column fits the longest name, at least 14.
    name = max([14] + [len(str(r["experiment"])) for r in rows])
    room = max(120, shutil.get_terminal_size((160, 24)).columns) - 6 - name - 8
    widths = {"result": 6, "experiment": name, "claim": room * 2 // 5, "expected": room // 5}
    widths["measured"] = room - widths["claim"] - widths["expected"]

    def row_lines(cells: dict) -> list[str]:
        wrapped = {c: textwrap.wrap(" ".join(str(cells[c]).split()), w, break_long_words=True) or [""]
                   for c, w in widths.items()}
        height = max(len(v) for v in wrapped.values())
        return ["  ".join((wrapped[c][k] if k < len(wrapped[c]) else "").ljust(w) for c, w in widths.items()).rstrip()
                for k in range(height)]
    lines = row_lines({c: c for c in widths})
    lines.append("  ".join("-" * w for w in widths.values()))
    for r in rows:
        block = row_lines(r)
        if len(block) > 1 and lines[-1] != "" and not lines[-1].startswith("-"):
            lines.append("")
        lines += block
        if len(block) > 1:
            lines.append("")
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def csv_text(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: r[c] for c in columns})
    return buf.getvalue()


class Terminated(Exception):
    """SIGTERM (a job's time limit, `kill`): stop like Ctrl-C, after the running child stops."""


def on_sigterm(signum, frame):
    raise Terminated()


def run_child(cmd, capture=False, quiet=False):
    """Runs cmd; returns (exit code, stderr text if captured). On Ctrl-C or SIGTERM the child gets the
    same signal and is waited for (its finished work stays valid), then the exception goes on."""
    out = subprocess.DEVNULL if quiet else (subprocess.PIPE if capture else None)
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE if capture else None, text=True)
    try:
        _, err = p.communicate()
        return p.returncode, err or ""
    except (KeyboardInterrupt, Terminated) as e:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        raise


def build_commit(bin_dir: Path) -> str:
    """The git commit the tools in `bin_dir` were built from (`nlhf-sweep --version`: "nlhf-sweep 0.1.0
    (COMMIT)"), which is what computed this call's results; the checkout may have moved on since."""
    try:
        out = subprocess.run([str(bin_dir / "nlhf-sweep"), "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
        return re.fullmatch(r"\S+ \S+ \((.+)\)", out).group(1)
    except (OSError, subprocess.CalledProcessError, AttributeError):
        return "unknown"


def reused_builds(run_dir: Path) -> list[tuple[str, int]]:
    """The tasks of a finished sweep directory whose results other builds of nlhf computed (nlhf-sweep
    reuses stored tasks; config.resolved.yaml lists them under nlhf: reused): (git commit, tasks)."""
    try:
        text = (run_dir / "config.resolved.yaml").read_text()
    except OSError:
        return []
    return [(m.group(1), int(m.group(2)))
            for m in re.finditer(r"^    - \{version: [^,]*, git_commit: ([^,]*), tasks: (\d+)\}$", text, re.M)]


def run_experiment(name, module, args, out: Path, bin_dir: Path):
    """Runs one experiment; returns (claim rows, list of problems)."""
    exp_dir = Path(args.experiments) / name
    res_dir = out / name
    res_dir.mkdir(parents=True, exist_ok=True)
    problems = []
    for sweep in module.SWEEPS:
        cmd = [str(bin_dir / "nlhf-sweep"), str(exp_dir / sweep.config), "--out", str(res_dir / sweep.out),
               "--jobs", str(args.jobs)]
        for s in sweep.quick if args.quick else []:
            cmd += ["--set", s]
        if args.quiet:
            cmd.append("--quiet")  # its progress lines too (stderr), not only its end lines
        start = time.monotonic()
        rc, _ = run_child(cmd, quiet=args.quiet)
        took = time.monotonic() - start
        if rc == 0 or (rc == 1 and sweep.failures_expected and (res_dir / sweep.out / "runs.csv").is_file()):
            reused = reused_builds(res_dir / sweep.out)
            REUSED.extend(reused)
            note = ("; " + ", ".join(f"{n} {'task' if n == 1 else 'tasks'} computed by nlhf at commit {c}"
                                     for c, n in reused) + f" reused (another --out computes them with this build)"
                    if reused else "")
            print(f"  sweep {sweep.out}: done in {took:.1f} s{note}", flush=True)
            continue
        if rc in (130, -signal.SIGINT):
            raise KeyboardInterrupt()
        problems.append(f"sweep {sweep.config} exited with {rc}")
        print(f"  sweep {sweep.out}: FAILED (exit {rc}; its message is above)", flush=True)
        if rc != 1:  # bad input or a bug: nothing to draw or check
            rows = [dict(experiment=name, claim="(all claims)", source="", expected="",
                         measured=f"not evaluated: sweep {sweep.config} exited with {rc}", result="FAIL")]
            write_atomic(res_dir / "claims.csv", csv_text(rows, COLUMNS))
            if args.publish:
                print(f"  not published: {name} had problems (below)", flush=True)
            return rows, problems
    figures = []
    for fig in module.FIGURES:
        base = res_dir / fig.out
        png = base.with_name(base.name + ".png")
        for stale in (png, base.with_name(base.name + ".pdf")):
            stale.unlink(missing_ok=True)  # an earlier call's figure must not pass for this one's
        cmd = [sys.executable, str(ROOT / fig.script), "--out", str(base)]
        cmd += [str(res_dir / i) for i in fig.inputs] + list(fig.args)
        rc, err = run_child(cmd, capture=True)
        if rc != 0 or not png.is_file() or not base.with_name(base.name + ".pdf").is_file():
            why = (err.strip().splitlines() or [f"exit {rc}, PNG or PDF missing"])[-1]
            problems.append(f"figure {fig.out} could not be drawn: {why}")
            print(f"  figure {fig.out}: FAILED: {why}", flush=True)
        else:
            figures.append(png)
            print(f"  figure {png}", flush=True)
    rows = []
    try:
        claims = module.claims(reproduction.Results(res_dir), args.quick)
        rows = [dict(experiment=name, **c.row()) for c in claims]
    except reproduction.MissingData as e:
        rows = [dict(experiment=name, claim="(all claims)", source="", expected="", measured=str(e), result="FAIL")]
    except Exception as e:  # a bug in a claims function: still a failed claim, with the reason
        rows = [dict(experiment=name, claim="(all claims)", source="", expected="",
                     measured=f"error evaluating the claims: {type(e).__name__}: {e}", result="FAIL")]
    write_atomic(res_dir / "claims.csv", csv_text(rows, COLUMNS))
    if args.publish and problems:
        print(f"  not published: {name} had problems (below)", flush=True)
    elif args.publish:
        pub = exp_dir / "figures"
        pub.mkdir(exist_ok=True)
        for f in figures:
            tmp = pub / f".{f.name}.tmp-{os.getpid()}"
            shutil.copyfile(f, tmp)
            os.replace(tmp, pub / f.name)
        write_atomic(exp_dir / "claims.md", markdown(rows, COLUMNS[1:]))
    return rows, problems


def collect_claims(experiments: dict[str, Path], out: Path) -> tuple[list[dict], list[str]]:
    """The claims of every experiment's latest run into `out` (out/<name>/claims.csv), in list order."""
    rows, names = [], []
    for name in experiments:
        path = out / name / "claims.csv"
        if path.is_file():
            with open(path, newline="") as f:
                rows += list(csv.DictReader(f))
            names.append(name)
    return rows, names


def write_tables(experiments: dict[str, Path], out: Path, ran: list[str], mode: str, seconds: float,
                 publish_to: Path | None, commit: str):
    """out/claims.md and claims.csv: this call's claims and those of earlier calls' other experiments
    into the same directory, so running one experiment never hides the others. With `publish_to`,
    also its claims.md (experiments/claims.md), when `out` has results of every experiment."""
    rows, names = collect_claims(experiments, out)
    passed = sum(r["result"] == "PASS" for r in rows)
    earlier = [n for n in names if n not in ran]
    reused = {}
    for c, n in REUSED:
        reused[c] = reused.get(c, 0) + n
    header = (f"{claims_title(mode)}\n\nCommit {commit}, {datetime.date.today().isoformat()}: "
              f"{passed} of {len(rows)} claims passed. This call ran {', '.join(ran)} ({seconds:.0f} s)"
              + (f"; the rows of {', '.join(earlier)} are from earlier calls into {out}" if earlier else "")
              + (". It reused the results of " + ", ".join(f"{n} {'task' if n == 1 else 'tasks'} computed at commit {c}"
                                                           for c, n in reused.items()) if reused else "")
              + ". Each experiment's README explains how its claims are measured.\n\n")
    write_atomic(out / "claims.csv", csv_text(rows, COLUMNS))
    write_atomic(out / "claims.md", header + markdown(rows, COLUMNS))
    if publish_to is None:
        return
    # The published table holds every experiment: rewritten from `out` alone it would lose the rows
    # of experiments `out` has no results of (a partial call into a fresh directory).
    missing = [n for n in experiments if n not in names]
    if missing:
        print(f"  not published: {publish_to / 'claims.md'} (it would lose the rows of {', '.join(missing)}, "
              f"which have no results in {out}; run them into {out} too, then publish again)", flush=True)
        return
    write_atomic(publish_to / "claims.md", header.replace(f" into {out}", "") + markdown(rows, COLUMNS))


def main():
    parser = Parser(
        prog="scripts/reproduce.sh",
        description="Reproduce the papers' experiments (experiments/<name>/): run them with nlhf-sweep "
                    "(resumable: a second call reuses finished runs), draw every figure and check every "
                    "claim. Ends with the claims table, also written as <out>/claims.md and claims.csv.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="experiments to run (default: all; see --list)")
    parser.add_argument("--quick", action="store_true", help="a reduced version of every experiment (about a minute and a half on 2 cores)")
    parser.add_argument("--out", help="results directory (default: results/, or results/quick/ with --quick)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs (default: all cores)")
    parser.add_argument("--list", action="store_true", help="list the experiments and exit")
    parser.add_argument("--publish", action="store_true",
                        help="also copy the PNGs and the claims table into experiments/<name>/ (maintainers)")
    parser.add_argument("--quiet", action="store_true", help="hide nlhf-sweep's own output")
    parser.add_argument("--bin", default=str(ROOT / "build" / "bin"), help=argparse.SUPPRESS)
    parser.add_argument("--experiments", default=str(ROOT / "experiments"), help=argparse.SUPPRESS)  # tests
    # reproduce.sh checks the usage before it builds: exit 10 when the arguments are good (a usage
    # error is exit 2; --help and --list are done, exit 0), so a typo never starts a build.
    parser.add_argument("--usage-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    experiments = discover(Path(args.experiments))
    if args.list:
        width = max((len(n) for n in experiments), default=0)
        try:
            for name, path in experiments.items():
                print(f"{name:{width}s}  {load(name, path).TITLE}")
            sys.stdout.flush()
        except BrokenPipeError:  # `--list | head`: the reader has all it wants
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    unknown = [n for n in args.names if n not in experiments]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(experiments), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        fail(f"unknown experiment {', '.join(unknown)}{hint}, expected one of: {', '.join(experiments)}")
    if args.jobs < 1:
        fail(f"--jobs: {args.jobs} is below 1, expected an integer >= 1")
    if args.quick and args.publish:
        fail("--publish: publishes the full reproduction only, expected no --quick")
    if args.out is not None and not args.out.strip():
        fail("--out: is empty, expected a directory path (or no --out for the default)")
    if args.usage_only:
        return 10
    bin_dir = Path(args.bin)
    if not (bin_dir / "nlhf-sweep").is_file():
        fail(f"{bin_dir}/nlhf-sweep is missing: build first (bash scripts/build.sh)")
    names = list(dict.fromkeys(args.names)) or list(experiments)  # each once, in the order given
    out = Path(args.out) if args.out else ROOT / "results" / ("quick" if args.quick else "")
    out = out.resolve()
    mode = "quick" if args.quick else "full"
    lock = claim_output(out, mode, names, experiments)  # noqa: F841  (held until exit)
    signal.signal(signal.SIGTERM, on_sigterm)
    all_rows, all_problems = [], []
    start = time.monotonic()
    try:
        for i, name in enumerate(names, 1):
            module = load(name, experiments[name])
            print(f"[{i}/{len(names)}] {name}: {module.TITLE}", flush=True)
            t = time.monotonic()
            rows, problems = run_experiment(name, module, args, out, bin_dir)
            failed = sum(r["result"] != "PASS" for r in rows)
            print(f"  {len(rows)} claims, {failed} failed; {time.monotonic() - t:.1f} s", flush=True)
            all_rows += rows
            all_problems += [f"{name}: {p}" for p in problems]
    except (KeyboardInterrupt, Terminated) as e:
        print("\ninterrupted: finished runs are kept; run the same command again to resume", file=sys.stderr)
        return 143 if isinstance(e, Terminated) else 130
    write_tables(experiments, out, names, mode, time.monotonic() - start,
                 Path(args.experiments) if args.publish else None, build_commit(bin_dir))
    header = f"Claims of this call ({mode}: {', '.join(names)}; {time.monotonic() - start:.0f} s):\n\n"
    print()
    print(header + terminal_table(all_rows), end="")
    failed = [r for r in all_rows if r["result"] != "PASS"]
    print(f"\n{len(all_rows) - len(failed)} of {len(all_rows)} claims passed; the whole table (sources, every "
          f"number; with the other experiments' latest claims in {out}): {out / 'claims.md'}")
    for p in all_problems:
        print(f"error: {p}", file=sys.stderr)
    if failed:
        print(f"error: {len(failed)} claims failed: " + "; ".join(f"{r['experiment']}: {r['claim']}" for r in failed),
              file=sys.stderr)
    return 1 if failed or all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
