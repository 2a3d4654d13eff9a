"""Output directories (docs/cli.md): the tools never delete the user's data, lock
against a second writer, clean their own leftovers and fail cleanly on a full disk. Every case runs in
a scratch directory with sentinel files that must survive. Standard library only.

Usage: output_safety_test.py BIN_DIR SOURCE_DIR
"""
import csv
import fcntl
import glob
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
RUN = os.path.join(BIN, "nlhf-run")
SWEEP = os.path.join(BIN, "nlhf-sweep")
TMP = os.path.realpath(tempfile.mkdtemp(prefix="nlhf_output_test_"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, runs_as_nobody  # noqa: E402  (the folder of this script)

check = Checks()


def run(tool, *args, cwd=TMP, fsize=None):
    limit = None
    if fsize is not None:
        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, resource.RLIM_INFINITY))
    p = subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True, preexec_fn=limit)
    return p.returncode, p.stdout, p.stderr


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def one_error(stderr, *parts):
    lines = stderr.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("error: ") and all(p in lines[0] for p in parts)


def rows(path):
    with open(path) as f:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(f)]


def leftovers(root):
    """Temp files and staging folders anywhere under root."""
    found = []
    for d, dirs, files in os.walk(root):
        found += [os.path.join(d, n) for n in dirs + files if ".tmp-" in n or ".partial-" in n]
    return found


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def wait_for_pid(path, proc):
    """Polls until the lock file `path` holds a pid, or the process ended."""
    while True:
        try:
            with open(path) as f:
                if f.read().strip():
                    return True
        except FileNotFoundError:
            pass
        if proc.poll() is not None:
            return False
        time.sleep(0.005)


def wait_for(path, proc):
    """Polls until `path` exists (the process reached that point) or the process ended."""
    while not os.path.exists(path):
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return True


EXPERIMENT = """
name: small
game: {type: random_uniform, n: 6}
reference: {type: softmax_normal, scale: 1}
beta: 0.05
seeds: [0, 1]
solvers:
  - {name: nash_mp}
  - {name: mwu}
stop: {iterations: 300, tolerance: {gap_beta: 1.0e-12}}
log: {every: 3}
"""
SWEEP_FILE = EXPERIMENT + """
sweep:
  game.n: [4, 5, 6]
  beta: [0.05, 0.1]
"""


def scratch(name):
    """A folder holding an experiment, a sweep and a sentinel, in a parent holding a sibling."""
    root = os.path.join(TMP, name)
    write(os.path.join(root, "sibling.txt"), "sibling")
    cwd = os.path.join(root, "cwd")
    write(os.path.join(cwd, "exp.yaml"), EXPERIMENT)
    write(os.path.join(cwd, "sweep.yaml"), SWEEP_FILE)
    write(os.path.join(cwd, "sentinel.txt"), "keep me")
    return root, cwd


def intact(root, cwd):
    return (os.path.exists(os.path.join(root, "sibling.txt")) and read(os.path.join(cwd, "sentinel.txt")) == "keep me"
            and read(os.path.join(cwd, "exp.yaml")) == EXPERIMENT)


# --- paths that would delete the user's directories are refused before any work -----------------------
root, cwd = scratch("paths")
for name, args in (("dot_force", ["--out", ".", "--force"]), ("dot", ["--out", "."]), ("dotdot", ["--out", ".."]),
                   ("nonexist_up", ["--out", "nonexist/.."]), ("nonexist_up_up", ["--out", "nonexist/../.."]),
                   ("nonexist_up_up_force", ["--out", "nonexist/../..", "--force"]), ("root", ["--out", "/"]),
                   ("cwd_absolute", ["--out", cwd + "/", "--force"])):
    for tool, file in ((RUN, "exp.yaml"), (SWEEP, "sweep.yaml")):
        code, out, err = run(tool, file, *args, "--quiet", cwd=cwd)
        tag = f"{os.path.basename(tool)}.{name}"
        check(f"{tag}.refused", code == 2 and one_error(err, "current directory" if name != "root" else "root"), err)
        check(f"{tag}.intact", intact(root, cwd) and sorted(os.listdir(cwd)) == ["exp.yaml", "sentinel.txt", "sweep.yaml"],
              os.listdir(cwd))
        check(f"{tag}.no_output", out == "" and not os.path.exists(os.path.join(cwd, "nonexist")), out)
# name: ".." (the default output runs/<name>) and the home directory.
write(os.path.join(cwd, "up.yaml"), EXPERIMENT.replace("name: small", 'name: ".."'))
write(os.path.join(cwd, "upup.yaml"), EXPERIMENT + 'output: "nonexist/../.."\n')
code, _, err = run(RUN, "up.yaml", "--quiet", cwd=cwd)
check("name_dotdot.refused", code == 2 and one_error(err, "up.yaml:2:7: name: '..' is not allowed", "other than . and .."),
      err)
# name: "." would make runs/ itself the run directory.
write(os.path.join(cwd, "dot.yaml"), EXPERIMENT.replace("name: small", 'name: "."'))
code, _, err = run(RUN, "dot.yaml", "--quiet", cwd=cwd)
check("name_dot.refused", code == 2 and one_error(err, "dot.yaml:2:7: name: '.' is not allowed")
      and not os.path.exists(os.path.join(cwd, "runs")), err)
code, _, err = run(RUN, "upup.yaml", "--quiet", "--force", cwd=cwd)
check("output_key_dotdot_dotdot.refused", code == 2 and one_error(err, "upup.yaml:12:9: output: the output directory nonexist/../.. is", "holds the current directory"), err)
# nlhf-sweep locates them the same way (it used to blame an --out never given, with no line).
code, _, err = run(SWEEP, "up.yaml", "--quiet", cwd=cwd)
check("sweep.name_dotdot.refused", code == 2 and one_error(err, "up.yaml:2:7: name: '..' is not allowed"), err)
code, _, err = run(SWEEP, "upup.yaml", "--quiet", "--dry-run", cwd=cwd)
check("sweep.output_key_dotdot_dotdot.refused",
      code == 2 and one_error(err, "upup.yaml:12:9: output: the output directory nonexist/../.. is"), err)
check("name.intact", intact(root, cwd) and not os.path.exists(os.path.join(cwd, "runs")), os.listdir(cwd))
# A second run into the default runs/<name> is refused at the key that named it; with no name: (the
# file's stem), at the file, saying where the name came from.
stem_dir = os.path.join(TMP, "stem")
write(os.path.join(stem_dir, "named.yaml"), EXPERIMENT)
write(os.path.join(stem_dir, "stemmed.yaml"), EXPERIMENT.replace("name: small\n", ""))
for yaml_name, where, dir_text in [("named.yaml", "named.yaml:2:7: name: ", "runs/small (runs/<name>) exists"),
                                   ("stemmed.yaml", "stemmed.yaml: name: ",
                                    "runs/stemmed (runs/<name>, with no name: the file's stem) exists")]:
    first, _, err1 = run(RUN, yaml_name, "--quiet", cwd=stem_dir)
    code, out, err = run(RUN, yaml_name, "--quiet", cwd=stem_dir)
    check(f"default_out_again.{yaml_name}", first == 0 and code == 2 and out == "" and
          one_error(err, where + "its output directory " + dir_text, "is not empty"), err1 + err)
home = os.path.join(TMP, "home")
os.makedirs(home)
p = subprocess.run([RUN, os.path.join(cwd, "exp.yaml"), "--out", home, "--quiet"], cwd=TMP, capture_output=True,
                   text=True, env={**os.environ, "HOME": home})
check("home.refused", p.returncode == 2 and one_error(p.stderr, "your home directory"), p.stderr)

# The folder holding an input (the YAML, a matrix CSV) or one above it.
write(os.path.join(root, "data", "P.csv"), "0.5,0.7\n0.3,0.5\n")
matrix = write(os.path.join(cwd, "matrix.yaml"),
               EXPERIMENT.replace("{type: random_uniform, n: 6}", "{type: matrix, path: ../data/P.csv}"))
for out_dir, file in (("../data", "matrix.yaml"), ("../data/", "matrix.yaml"), ("..", "matrix.yaml")):
    code, _, err = run(RUN, file, "--out", out_dir, "--force", "--quiet", cwd=cwd)
    check(f"input_ancestor.{out_dir}", code == 2 and one_error(err), err)
code, _, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", cwd, "--force", "--quiet", cwd=TMP)
check("input_folder.refused", code == 2 and one_error(err, "holds the input file"), err)
code, _, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", root, "--quiet", cwd=TMP)
check("sweep_input_folder.refused", code == 2 and one_error(err, "holds the input file"), err)
check("inputs.intact", intact(root, cwd) and os.path.exists(os.path.join(root, "data", "P.csv")))

# A path under a file, a dangling symlink, an existing file.
os.symlink(os.path.join(TMP, "missing"), os.path.join(cwd, "dangling"))
for name, out_dir, words in (("under_file", "sentinel.txt/sub", "which is a file"),
                             ("dangling", "dangling", "which does not exist"),
                             ("is_file", "sentinel.txt", "exists and is not a directory")):
    for tool, file in ((RUN, "exp.yaml"), (SWEEP, "sweep.yaml")):
        code, out, err = run(tool, file, "--out", out_dir, "--quiet", cwd=cwd)
        check(f"{os.path.basename(tool)}.{name}", code == 2 and one_error(err, words) and out == "", err)
check("files.intact", intact(root, cwd))

# A read-only location: chmod as a user; as root (who may write anyway) a read-only tmpfs, if mountable.
ro = os.path.join(TMP, "ro")
os.makedirs(ro)
mounted = False
if os.geteuid() == 0:
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", ro], capture_output=True).returncode == 0
else:
    os.chmod(ro, 0o555)
if os.geteuid() != 0 or mounted:
    for tool, file in ((RUN, "exp.yaml"), (SWEEP, "sweep.yaml")):
        code, _, err = run(tool, os.path.join(cwd, file), "--out", os.path.join(ro, "out"), "--quiet")
        check(f"{os.path.basename(tool)}.read_only", code == 2 and one_error(err, "cannot be written"), err)
    if mounted:
        subprocess.run(["umount", ro])
    os.chmod(ro, 0o755)
else:
    check.skipped.append("read-only location (root without mount)")

# An empty mount point as nlhf-run's --out: refused before any work (renaming a new directory over it
# fails with EBUSY, which it used to report after all the runs); a directory inside it is fine.
mnt = os.path.join(TMP, "mnt")
os.makedirs(mnt)
if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt],
                                        capture_output=True).returncode == 0:
    try:
        for extra in ((), ("--dry-run",)):
            code, out, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", mnt, "--quiet", *extra)
            check(f"mount_point{''.join(extra)}.refused", code == 2 and one_error(err, "--out: is a mount point",
                                                                                  "such as " + mnt + "/NAME")
                  and os.listdir(mnt) == [], err)
        code, _, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", os.path.join(mnt, "run"), "--quiet")
        check("mount_point.inside", code == 0 and os.path.isfile(os.path.join(mnt, "run", "trace.csv")), err)
    finally:
        subprocess.run(["umount", mnt])
else:
    check.skipped.append("an empty mount point as --out (root without mount)")
# An empty directory of the user's that nlhf-run fills keeps its permissions.
private = os.path.join(TMP, "private")
os.makedirs(private)
os.chmod(private, 0o700)
code, _, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", private, "--quiet")
check("empty_dir.mode_kept", code == 0 and (os.stat(private).st_mode & 0o777) == 0o700, oct(os.stat(private).st_mode))

# --- --out newdir/ works; --force replaces only a directory nlhf-run wrote ---------------------------------
code, out, err = run(RUN, "exp.yaml", "--out", "newdir/", "--quiet", cwd=cwd)
check("trailing_slash.exit", code == 0, err)
check("trailing_slash.files", os.path.exists(os.path.join(cwd, "newdir", "trace.csv"))
      and os.path.exists(os.path.join(cwd, "newdir", ".nlhf-output")) and "wrote newdir/ " in out, out)
reference = rows(os.path.join(cwd, "newdir", "trace.csv"))
code, _, err = run(RUN, "exp.yaml", "--out", "newdir", "--quiet", cwd=cwd)
check("existing.refused", code == 2 and one_error(err, "exists and is not empty", "--force"), err)
code, _, err = run(RUN, "exp.yaml", "--out", "newdir", "--quiet", "--force", cwd=cwd)
check("marked.force_replaces", code == 0 and rows(os.path.join(cwd, "newdir", "trace.csv")) == reference, err)

thesis = os.path.join(cwd, "thesis")
write(os.path.join(thesis, "thesis.tex"), "chapter 1")
write(os.path.join(thesis, "exp.yaml"), EXPERIMENT)
code, out, err = run(RUN, "exp.yaml", "--out", "thesis", "--force", "--quiet", cwd=cwd)
check("user_dir.force_refused", code == 2 and one_error(err, "did not write", "--force will not replace it"), err)
check("user_dir.intact", sorted(os.listdir(thesis)) == ["exp.yaml", "thesis.tex"]
      and read(os.path.join(thesis, "thesis.tex")) == "chapter 1", os.listdir(thesis))
check("user_dir.no_lock_left", not os.path.exists(os.path.join(cwd, ".thesis.lock")))
# A file of the user's inside a directory nlhf-run wrote: --force refuses rather than delete it.
write(os.path.join(cwd, "newdir", "notes.txt"), "mine")
code, _, err = run(RUN, "exp.yaml", "--out", "newdir", "--force", "--quiet", cwd=cwd)
check("marked_with_user_file.refused", code == 2 and one_error(err, "notes.txt"), err)
check("marked_with_user_file.intact", read(os.path.join(cwd, "newdir", "notes.txt")) == "mine")
# A folder of the user's by the name of one of nlhf-run's files: --force neither replaces the
# directory nor deletes the folder (it did, recursively, with exit 0).
for name in ("trace.csv", "summary.json", "config.resolved.yaml"):
    named = os.path.join(cwd, "named_" + name)
    code, _, err = run(RUN, "exp.yaml", "--out", named, "--quiet", cwd=cwd)
    os.remove(os.path.join(named, name))
    drafts = write(os.path.join(named, name, "drafts", "thesis.tex"), "chapter 2")
    for extra in ([], ["--dry-run"]):
        code, out, err = run(RUN, "exp.yaml", "--out", named, "--force", "--quiet", *extra, cwd=cwd)
        check(f"folder_named_{name}{''.join(extra)}.refused",
              code == 2 and out == "" and one_error(err, f"holds {name}/, which nlhf-run did not write",
                                                    "--force will not replace it"), f"{code} {out} {err}")
    check(f"folder_named_{name}.kept", read(drafts) == "chapter 2" and name in os.listdir(named))

# A dry run (and --emit-slurm) into the user's directory is refused as the real run would be, and
# creates nothing.
write(os.path.join(cwd, "sweep.yaml"), SWEEP_FILE)
for tag, args in (("run", (RUN, "exp.yaml", "--out", "thesis", "--dry-run")),
                  ("run_force", (RUN, "exp.yaml", "--out", "thesis", "--dry-run", "--force")),
                  ("sweep", (SWEEP, "sweep.yaml", "--out", "thesis", "--dry-run")),
                  ("slurm", (SWEEP, "sweep.yaml", "--out", "thesis", "--emit-slurm"))):
    before = sorted(os.listdir(cwd))
    code, out, err = run(*args, cwd=cwd)
    check(f"dry_run.{tag}.refused", code == 2 and out == "" and one_error(err, "thesis", "--out"), f"{code} {out} {err}")
    check(f"dry_run.{tag}.nothing_made", sorted(os.listdir(cwd)) == before
          and sorted(os.listdir(thesis)) == ["exp.yaml", "thesis.tex"], os.listdir(cwd))
code, out, err = run(SWEEP, "sweep.yaml", "--out", "not_yet", "--dry-run", cwd=cwd)
check("dry_run.new_dir_accepted", code == 0 and not os.path.exists(os.path.join(cwd, "not_yet")), f"{code} {err}")

# --- leftovers of dead processes are removed by the next run into the same place -------------------------
dead = dead_pid()
stale = os.path.join(cwd, f".fresh.partial-{dead}")
write(os.path.join(stale, "trace.csv"), "x" * 100000)
code, _, err = run(RUN, "exp.yaml", "--out", "fresh", "--quiet", cwd=cwd)
check("stale_partial.removed", code == 0 and not os.path.exists(stale), err)
check("run.no_leftovers", leftovers(cwd) == [] and not glob.glob(os.path.join(cwd, ".*.lock")), leftovers(cwd))

# A run killed between its two renames (old results moved aside, new ones not yet in place): the next
# run puts the old results back; without --force it is refused, saying so, with --force it replaces them.
code, _, err = run(RUN, "exp.yaml", "--out", "moved", "--quiet", cwd=cwd)
before = read(os.path.join(cwd, "moved", "trace.csv"))
dead = dead_pid()
aside = os.path.join(cwd, f".moved.old-{dead}")
os.rename(os.path.join(cwd, "moved"), aside)
shutil.copytree(aside, os.path.join(cwd, f".moved.partial-{dead}"))
code, out, err = run(RUN, "exp.yaml", "--out", "moved", "--dry-run", cwd=cwd)
check("moved_aside.dry_run_says_so", code == 2 and one_error(err, f"is hidden in .moved.old-{dead} by an nlhf-run killed")
      and os.path.exists(aside), err)
code, out, err = run(RUN, "exp.yaml", "--out", "moved", "--quiet", cwd=cwd)
check("moved_aside.put_back", code == 2 and one_error(err, f"moved: --out: was left in .moved.old-{dead}", "back in place now")
      and read(os.path.join(cwd, "moved", "trace.csv")) == before and leftovers(cwd) == []
      and not glob.glob(os.path.join(cwd, ".moved.*")), err)
os.rename(os.path.join(cwd, "moved"), aside)
code, out, err = run(RUN, "exp.yaml", "--out", "moved", "--quiet", "--force", cwd=cwd)
check("moved_aside.force_replaces", code == 0 and not glob.glob(os.path.join(cwd, ".moved.*"))
      and sorted(os.listdir(os.path.join(cwd, "moved"))) == [".nlhf-output", "config.resolved.yaml", "summary.json",
                                                             "trace.csv"], err)

# --- ...but a user's entries that merely have a leftover's or a lock's name stay -----------------------------
# A folder named like a dead process's staging folder but holding the user's files.
mine = os.path.join(cwd, f".mine.partial-{dead_pid()}")
write(os.path.join(mine, "thesis.tex"), "my thesis")
write(os.path.join(mine, "trace.csv"), "my trace")
code, _, err = run(RUN, "exp.yaml", "--out", "mine", "--quiet", cwd=cwd)
check("users_partial.kept", code == 0 and read(os.path.join(mine, "thesis.tex")) == "my thesis"
      and read(os.path.join(mine, "trace.csv")) == "my trace", err)
shutil.rmtree(mine)
# A file of the user's with the lock's name (beside a run's directory, inside a sweep's): refused, kept.
lock_like = write(os.path.join(cwd, ".taken.lock"), "my precious")
code, out, err = run(RUN, "exp.yaml", "--out", "taken", "--quiet", cwd=cwd)
check("users_lock_file.refused", code == 2 and one_error(err, ".taken.lock: holds something other than a process id",
                                                         "expected no file by that name (move it away)")
      and read(lock_like) == "my precious" and not os.path.exists(os.path.join(cwd, "taken")), err)
code, out, err = run(RUN, "exp.yaml", "--out", "taken", "--dry-run", cwd=cwd)
check("users_lock_file.dry_run_refused", code == 2 and one_error(err, ".taken.lock: holds something other than a process id")
      and read(lock_like) == "my precious", err)
os.remove(lock_like)
lock_like = write(os.path.join(cwd, "taken_sweep", ".nlhf-lock"), "my notes")
code, out, err = run(SWEEP, "sweep.yaml", "--out", "taken_sweep", "--quiet", cwd=cwd)
check("users_sweep_lock_file.refused", code == 2 and one_error(err, ".nlhf-lock: holds something other than a process id")
      and os.listdir(os.path.join(cwd, "taken_sweep")) == [".nlhf-lock"] and read(lock_like) == "my notes", err)
shutil.rmtree(os.path.join(cwd, "taken_sweep"))

# --- a second writer is refused, with the first one's pid ------------------------------------------------
# Deterministic: this test holds the lock of `locked`.
lock_path = os.path.join(cwd, ".locked.lock")
with open(lock_path, "w") as held:
    fcntl.flock(held, fcntl.LOCK_EX)
    held.write(f"{os.getpid()}\n")
    held.flush()
    code, out, err = run(RUN, "exp.yaml", "--out", "locked", "--quiet", cwd=cwd)
    check("lock.refused", code == 2 and one_error(err, f"locked is being written by process {os.getpid()}"), err)
    check("lock.nothing_written", not os.path.exists(os.path.join(cwd, "locked")) and out == "", out)
os.unlink(lock_path)

# Two real processes: the first is stopped while it holds the lock, the second starts then.
# (A fraction of a second of work with few logged rows, so that it is certainly still running, and
# holding its lock, when paused.)
busy = write(os.path.join(cwd, "busy.yaml"), EXPERIMENT.replace("n: 6", "n: 40").replace("iterations: 300", "iterations: 150000")
             .replace("1.0e-12", "1.0e-300").replace("log: {every: 3}", "log: {spacing: log}"))
# A long trace, for the full disk below.
slow = write(os.path.join(cwd, "slow.yaml"), EXPERIMENT.replace("n: 6", "n: 40").replace("iterations: 300", "iterations: 4000")
             .replace("1.0e-12", "1.0e-300"))
first = subprocess.Popen([RUN, "busy.yaml", "--out", "both", "--quiet", "--jobs", "1"], cwd=cwd,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
# Paused once the lock file holds its pid (it is created a moment before the pid is written).
if wait_for_pid(os.path.join(cwd, ".both.lock"), first):
    os.kill(first.pid, signal.SIGSTOP)
    holding = os.path.exists(os.path.join(cwd, ".both.lock"))
    code, _, err = run(RUN, "exp.yaml", "--out", "both", "--force", "--quiet", cwd=cwd)
    dry_code, _, dry_err = run(RUN, "exp.yaml", "--out", "both", "--dry-run", cwd=cwd)
    os.kill(first.pid, signal.SIGCONT)
    first_out, first_err = first.communicate()
    check("concurrent_run.paused_while_holding_the_lock", holding)
    check("concurrent_run.second_refused",
          code == 2 and one_error(err, f"both is being written by process {first.pid}"), err)
    check("concurrent_run.dry_run_refused_too",
          dry_code == 2 and one_error(dry_err, f"both is being written by process {first.pid}"), dry_err)
    check("concurrent_run.first_ok", first.returncode == 0, first_err)
    trace = rows(os.path.join(cwd, "both", "trace.csv"))
    check("concurrent_run.first_result_intact", len(trace) > 0 and trace[0]["n"] == "40", trace[:1])
else:
    first.communicate()
    check("concurrent_run.started", False, "the first run ended before taking its lock")

# nlhf-run and nlhf-sweep lock each other out of a new --out: a sweep started while nlhf-run writes
# "mixed" (whose directory does not exist until nlhf-run renames its results into place) is refused
# at its start, not found out by nlhf-run after all its work; and nlhf-run started on a sweep's
# directory is refused at its start too.
first = subprocess.Popen([RUN, "busy.yaml", "--out", "mixed", "--quiet", "--jobs", "1"], cwd=cwd,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
if wait_for_pid(os.path.join(cwd, ".mixed.lock"), first):
    os.kill(first.pid, signal.SIGSTOP)
    code, out, err = run(SWEEP, "sweep.yaml", "--out", "mixed", "--quiet", cwd=cwd)
    dry_code, _, dry_err = run(SWEEP, "sweep.yaml", "--out", "mixed", "--dry-run", cwd=cwd)
    os.kill(first.pid, signal.SIGCONT)
    first_out, first_err = first.communicate()
    check("run_then_sweep.sweep_refused",
          code == 2 and one_error(err, f"mixed is being written by process {first.pid}") and out == "", err)
    check("run_then_sweep.dry_run_refused_too",
          dry_code == 2 and one_error(dry_err, f"mixed is being written by process {first.pid}"), dry_err)
    check("run_then_sweep.run_ok", first.returncode == 0 and rows(os.path.join(cwd, "mixed", "trace.csv")),
          first_err)
    check("run_then_sweep.no_lock_left", not os.path.exists(os.path.join(cwd, ".mixed.lock")), os.listdir(cwd))
else:
    first.communicate()
    check("run_then_sweep.started", False, "the run ended before taking its lock")
code, out, err = run(SWEEP, "sweep.yaml", "--out", "swept", "--quiet", cwd=cwd)
check("sweep_then_run.sweep_ok", code == 0 and not os.path.exists(os.path.join(cwd, ".swept.lock")), err)
code, out, err = run(RUN, "exp.yaml", "--out", "swept", "--quiet", cwd=cwd)
check("sweep_then_run.run_refused",
      code == 2 and one_error(err, "swept: --out: is an nlhf-sweep output directory, which nlhf-run does not write into")
      and out == "", err)

# --- full disk: a file size limit (no root needed), then a real tmpfs when root may mount one ----------------
disk = os.path.join(TMP, "disk")
os.makedirs(disk)
code, out, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", os.path.join(disk, "out"), "--quiet", fsize=16384)
check("fsize_run.exit2", code == 2 and one_error(err, "error: writing ", "File too large"), err)
check("fsize_run.clean", os.listdir(disk) == [], os.listdir(disk))

# Standard output on a full device (/dev/full): every report, listing and script the tools print ends
# in one error line naming the real cause (ENOSPC), exit 2, never EIO from a lost errno (--list
# writes more than stdio's buffer) nor an internal error (fmt::print's exception).
EQUILIBRIUM = os.path.join(BIN, "nlhf-equilibrium")
if os.path.exists("/dev/full"):
    for tag, tool, args in [("help", RUN, ["--help"]), ("list", RUN, ["--list", "solvers"]),
                            ("sweep_list", SWEEP, ["--list", "games"]), ("version", SWEEP, ["--version"]),
                            ("run_dry_run", RUN, [os.path.join(cwd, "exp.yaml"), "--dry-run"]),
                            ("sweep_dry_run", SWEEP, [os.path.join(cwd, "sweep.yaml"), "--dry-run"]),
                            ("emit_slurm", SWEEP, [os.path.join(cwd, "sweep.yaml"), "--emit-slurm", "--out",
                                                   os.path.join(TMP, "slurm_full")]),
                            ("equilibrium_list", EQUILIBRIUM, ["--list", "metrics"]),
                            ("equilibrium_report", EQUILIBRIUM, ["--game", "random_uniform(n=2000)", "--beta", "1",
                                                                 "--top", "2000"]),
                            ("equilibrium_export", EQUILIBRIUM, ["--game", "random_uniform(n=300)", "--export", "nfg"])]:
        with open("/dev/full", "w") as full_out:
            p = subprocess.run([tool, *args], cwd=TMP, stdout=full_out, stderr=subprocess.PIPE, text=True)
        check(f"stdout_full.{tag}", p.returncode == 2 and one_error(p.stderr, "error: writing standard output: ",
                                                                   "No space left on device"),
              f"exit {p.returncode}: {p.stderr}")
else:
    check.skipped.append("standard output on a full device (no /dev/full)")

# Sweeps: one uninterrupted reference run.
ref_dir = os.path.join(TMP, "sweep_ref")
code, _, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", ref_dir, "--quiet", "--jobs", "2")
check("sweep_ref.exit", code == 0, err)
REF = {name: rows(os.path.join(ref_dir, name)) for name in ("trace.csv", "runs.csv", "summary.csv")}


def same_as_reference(d):
    return all(rows(os.path.join(d, name)) == REF[name] for name in REF)


for limit in (4096, 40000):
    d = os.path.join(disk, f"sweep{limit}")
    code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet", "--jobs", "2", fsize=limit)
    check(f"fsize_sweep{limit}.exit2", code == 2 and one_error(err, "error: writing ", "File too large"),
          f"exit {code}: {err}")
    # It says what is kept and how to go on; the run below then keeps as many as it said.
    said = re.search(r"; (\d+) of (\d+) tasks are stored in " + re.escape(d) + "; ", err)
    check(f"fsize_sweep{limit}.says_what_is_kept", said is not None and
          err.rstrip().endswith("; once the file size limit (ulimit -f) allows, run the same command again to finish"),
          err)
    check(f"fsize_sweep{limit}.no_temporaries", leftovers(d) == [], leftovers(d))
    code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet", "--jobs", "2")
    check(f"fsize_sweep{limit}.resumed", code == 0 and same_as_reference(d), err)
    kept = re.search(r" (\d+) kept from before", out)
    check(f"fsize_sweep{limit}.kept_as_said", said is not None and kept is not None and kept.group(1) == said.group(1),
          f"{said and said.group(0)} / {out}")

# A write that fails before the sweep claims its directory (its lock file cannot be made) stores
# nothing and says only what failed.
code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", "/proc/nlhf-no-such/out", "--quiet")
check("unwritable_sweep.says_what_failed", code == 2 and one_error(err, "error: writing /proc/nlhf-no-such/") and
      "tasks are stored" not in err and "once" not in err, f"exit {code}: {err}")

if os.geteuid() == 0:
    full = os.path.join(TMP, "tmpfs")
    os.makedirs(full)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", full], capture_output=True).returncode == 0:
        try:
            code, _, err = run(RUN, os.path.join(cwd, "slow.yaml"), "--out", os.path.join(full, "out"), "--quiet")
            check("enospc_run.exit2", code == 2 and one_error(err, "error: writing ", "No space left on device"), err)
            check("enospc_run.clean", os.listdir(full) == [], os.listdir(full))
            d = os.path.join(full, "sweep")
            code, _, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet", "--jobs", "2")
            check("enospc_sweep.exit2", code == 2 and one_error(err, "error: writing ", "No space left on device"), err)
            check("enospc_sweep.says_what_is_kept", re.search(r"; \d+ of \d+ tasks are stored in " + re.escape(d), err)
                  and err.rstrip().endswith("; once there is room, run the same command again to finish"), err)
            check("enospc_sweep.no_temporaries", leftovers(full) == [], leftovers(full))
            # Nor a data file that no part file names (its part did not fit): it holds no stored task,
            # and left behind it would keep the disk full for the run that resumes.
            parts = os.path.join(d, ".parts")
            named = set()
            for name in os.listdir(parts):
                if name.endswith(".part"):
                    with open(os.path.join(parts, name)) as f:
                        named |= {line.split(",")[1] for line in f.read().splitlines()[1:2] if line.startswith("data,")}
            orphans = [n for n in os.listdir(parts) if n.startswith("data-") and n not in named]
            check("enospc_sweep.no_orphan_data", orphans == [], orphans)
            # A disk too full for even the lock file: refused, and nothing left (no empty lock file,
            # no folder).
            shutil.rmtree(d)
            try:
                with open(os.path.join(full, "filler"), "wb", buffering=0) as f:
                    while True:
                        f.write(b"\0" * 4096)
            except OSError:
                pass
            for tool, file, name in ((RUN, "exp.yaml", "r"), (SWEEP, "sweep.yaml", "s"),
                                     (RUN, "exp.yaml", "new/r"), (SWEEP, "sweep.yaml", "new/s")):
                code, _, err = run(tool, os.path.join(cwd, file), "--out", os.path.join(full, name), "--quiet")
                check(f"enospc_lock.{name}.exit2", code == 2 and one_error(err, "No space left on device"), err)
                check(f"enospc_lock.{name}.nothing_left", os.listdir(full) == ["filler"], os.listdir(full))
        finally:
            subprocess.run(["umount", full])
    else:
        check.skipped.append("tmpfs full disk (mount failed)")
else:
    check.skipped.append("tmpfs full disk (not root)")

# --- sweeps: locks, --force, leftovers, corrupt manifests ------------------------------------------------------
# Two identical sweeps: the first (long: it cannot finish before it is paused) is stopped while it
# holds the lock; the second is refused; then the first is ended.
d = os.path.join(TMP, "sweep_two")
long_sweep = write(os.path.join(cwd, "sweep_long.yaml"), SWEEP_FILE.replace("iterations: 300", "iterations: 400000")
                   .replace("1.0e-12", "1.0e-300"))
first = subprocess.Popen([SWEEP, long_sweep, "--out", d, "--quiet", "--jobs", "1"], cwd=TMP,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
started = wait_for(os.path.join(d, ".nlhf-output"), first)
check("concurrent_sweep.started", started, "the first sweep ended before it wrote its marker")
if started:
    os.kill(first.pid, signal.SIGSTOP)
    code, out, err = run(SWEEP, long_sweep, "--out", d, "--quiet")
    check("concurrent_sweep.second_refused",
          code == 2 and one_error(err, f"is being written by process {first.pid}") and out == "", err)
    code, out, err = run(SWEEP, long_sweep, "--out", d, "--dry-run")
    check("concurrent_sweep.dry_run_refused_too",
          code == 2 and one_error(err, f"is being written by process {first.pid}") and out == "", err)
    os.kill(first.pid, signal.SIGKILL)
    os.kill(first.pid, signal.SIGCONT)
first.communicate()
# Started together: never both do the work (one is refused, or the later one finds it all done).
d = os.path.join(TMP, "sweep_together")
procs = [subprocess.Popen([SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet", "--jobs", "1"], cwd=TMP,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
results = [(p.wait(), p.stdout.read(), p.stderr.read()) for p in procs]
for p in procs:
    p.stdout.close()
    p.stderr.close()
refused = [r for r in results if r[0] == 2 and one_error(r[2], "is being written by process")]
ok = [r for r in results if r[0] == 0]
check("together.one_did_the_work", len(ok) >= 1 and len(refused) + len(ok) == 2
      and sum("12 tasks run now" in r[1] for r in ok) == 1, results)
check("together.result", same_as_reference(d))

# --force replaces only what nlhf-sweep wrote.
write(os.path.join(d, "plot.png"), "user plot")
code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet", "--force")
check("sweep_force.reruns", code == 0 and "12 tasks run now, 0 kept" in out and same_as_reference(d), out + err)
check("sweep_force.keeps_user_file", read(os.path.join(d, "plot.png")) == "user plot")
# A file of the user's put inside .parts/: --force refuses (before any work) rather than delete it,
# with --dry-run too; the sweep's results stay as they were. Moved away, --force goes on.
notes = write(os.path.join(d, ".parts", "notes.txt"), "my notes")
# Named like the store's files: a plain resume neither reads them nor removes them.
look_alikes = [write(os.path.join(d, ".parts", name), "mine") for name in ("data-final.csv", "final.part")]
code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet")
check("sweep_resume.keeps_user_files_in_parts", code == 0 and " 0 tasks run now" in out and same_as_reference(d) and
      read(notes) == "my notes" and all(read(f) == "mine" for f in look_alikes), out + err)
for f in look_alikes:
    os.remove(f)
trace_before = read(os.path.join(d, "trace.csv"))
for extra in ([], ["--dry-run"]):
    code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet", "--force", *extra)
    check(f"sweep_force.user_file_in_parts{''.join(extra)}.refused",
          code == 2 and out == "" and one_error(err, ".parts/notes.txt, which nlhf-sweep did not write",
                                                "will not delete .parts/ to start over", "move the others away"), out + err)
check("sweep_force.user_file_in_parts.kept", read(notes) == "my notes" and
      read(os.path.join(d, "trace.csv")) == trace_before and same_as_reference(d))
os.remove(notes)
code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet", "--force")
check("sweep_force.after_moving_it", code == 0 and "12 tasks run now, 0 kept" in out and same_as_reference(d), out + err)
# A folder in .parts/ named like the store's files is the user's too: --force (which deletes .parts/)
# refuses; it went with .parts/ before.
named_like_data = write(os.path.join(d, ".parts", "data-1-2.csv", "notes.txt"), "my notes")
code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet", "--force")
check("sweep_force.folder_in_parts.refused",
      code == 2 and out == "" and one_error(err, ".parts/data-1-2.csv/, which nlhf-sweep did not write"), out + err)
check("sweep_force.folder_in_parts.kept", read(named_like_data) == "my notes" and same_as_reference(d))
shutil.rmtree(os.path.dirname(named_like_data))
# A folder of the user's by the name of one of nlhf-sweep's files: neither written into nor deleted.
runs_csv = os.path.join(d, "runs.csv")
os.remove(runs_csv)
folder_notes = write(os.path.join(runs_csv, "notes.txt"), "my notes")
for extra in ([], ["--force"], ["--force", "--dry-run"]):
    code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet", *extra)
    check(f"sweep_folder_named_like_a_file{''.join(extra)}.refused",
          code == 2 and out == "" and one_error(err, "holds runs.csv/, a folder nlhf-sweep did not write",
                                                "move the folder away"), out + err)
check("sweep_folder_named_like_a_file.kept", read(folder_notes) == "my notes")
shutil.rmtree(runs_csv)
code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet")
check("sweep_folder_named_like_a_file.after_moving_it",
      code == 0 and " 0 tasks run now" in out and same_as_reference(d), out + err)
user = os.path.join(TMP, "user_sweep")
write(os.path.join(user, "trace.csv"), "my data")
for extra in ([], ["--force"]):
    code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", user, "--quiet", *extra)
    check(f"sweep_user_dir{''.join(extra)}.refused", code == 2 and one_error(err, "trace.csv") and out == "", err)
check("sweep_user_dir.intact", os.listdir(user) == ["trace.csv"] and read(os.path.join(user, "trace.csv")) == "my data",
      os.listdir(user))

# Stale temp files of a dead sweep are removed by the next run into the same directory.
dead = dead_pid()
stale = [write(os.path.join(d, ".parts", f".data-{dead}-3.part.tmp-{dead}-7"), "partial"),
         write(os.path.join(d, f".trace.csv.tmp-{dead}-8"), "partial"),
         write(os.path.join(d, f"..nlhf-output.tmp-{dead}-9"), "partial")]
# ...but a user's file that merely has a temp file's name, there or in .parts, stays.
mine = [write(os.path.join(d, f".notes.txt.tmp-{dead}-1"), "my notes"),
        write(os.path.join(d, ".parts", f".notes.txt.tmp-{dead}-1"), "my notes")]
code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", d, "--quiet")
check("sweep_stale.removed", code == 0 and not any(os.path.exists(s) for s in stale) and same_as_reference(d), err)
check("sweep_stale.users_kept", all(read(m) == "my notes" for m in mine), os.listdir(d))
for m in mine:
    os.remove(m)

# nlhf-run --force likewise: a dead writer's temporary of one of its files does not make the directory
# the user's (it was refused: "holds .trace.csv.tmp-..., which nlhf-run did not write"); it goes.
rd = os.path.join(TMP, "run_stale_temp")
code, _, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", rd, "--quiet")
stale_run = write(os.path.join(rd, f".trace.csv.tmp-{dead}-8"), "partial")
code, _, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", rd, "--quiet", "--force")
check("run_stale_temp.replaced", code == 0 and not os.path.exists(stale_run) and
      os.path.isfile(os.path.join(rd, "trace.csv")), err)
notes = write(os.path.join(rd, f".notes.txt.tmp-{dead}-1"), "my notes")
code, _, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", rd, "--quiet", "--force")
check("run_stale_temp.users_refused", code == 2 and one_error(err, ".notes.txt.tmp-") and read(notes) == "my notes", err)

# A corrupt or empty manifest is a clear error, on resume and on --merge.
for name, text in (("corrupt", "fingerprint: [\n"), ("empty", "")):
    bad = os.path.join(TMP, f"manifest_{name}")
    shutil.copytree(ref_dir, bad)
    write(os.path.join(bad, ".parts", "manifest.yaml"), text)
    code, _, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", bad, "--quiet")
    check(f"manifest_{name}.resume", code == 2 and one_error(err, "manifest.yaml", "is not a sweep manifest nlhf-sweep can read"), err)
    code, _, err = run(SWEEP, "--merge", bad, "--out", os.path.join(TMP, f"merged_{name}"))
    check(f"manifest_{name}.merge", code == 2 and one_error(err, "is not a sweep manifest nlhf-sweep can read")
          and not os.path.exists(os.path.join(TMP, f"merged_{name}")), err)

# --- --merge: never into a user's directory; an incomplete merge writes nothing ------------------------------
shards = os.path.join(TMP, "shards")
for k in (1, 2):
    code, _, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", os.path.join(shards, f"shard-{k}"),
                       "--shard", f"{k}/2", "--quiet")
    check(f"shard{k}.exit", code == 0, err)
mine = os.path.join(TMP, "mine")
write(os.path.join(mine, "trace.csv"), "my trace")
code, out, err = run(SWEEP, "--merge", os.path.join(shards, "shard-1"), os.path.join(shards, "shard-2"), "--out", mine)
check("merge_user_dir.refused", code == 2 and one_error(err, "trace.csv") and out == "", err)
check("merge_user_dir.intact", os.listdir(mine) == ["trace.csv"] and read(os.path.join(mine, "trace.csv")) == "my trace")
code, _, err = run(SWEEP, "--merge", os.path.join(shards, "shard-1"), "--out", os.path.join(TMP, "incomplete"))
check("merge_incomplete.exit2", code == 2 and one_error(err, "tasks are missing"), err)
check("merge_incomplete.nothing_written", not os.path.exists(os.path.join(TMP, "incomplete")))
# --out that is one of the shards: refused, even with --force (it would delete that shard's parts).
shard1 = os.path.join(shards, "shard-1")
parts_before = sorted(os.listdir(os.path.join(shard1, ".parts")))
code, _, err = run(SWEEP, "--merge", shard1, os.path.join(shards, "shard-2"), "--out", shard1, "--force")
check("merge_into_a_shard.refused", code == 2 and one_error(err, "is one of the --merge directories"), err)
check("merge_into_a_shard.intact", sorted(os.listdir(os.path.join(shard1, ".parts"))) == parts_before)
# The SLURM layout: merge into the folder that holds the shards.
code, _, err = run(SWEEP, "--merge", *sorted(glob.glob(os.path.join(shards, "shard-*"))), "--out", shards)
check("merge_into_shard_folder", code == 0 and same_as_reference(shards), err)

# --- a user's folder with a .parts/manifest.yaml of its own is not an nlhf-sweep directory ----------------
# (Sweeps written before the marker are recognized by a manifest that reads as a sweep's; any file by
# that name marked the user's folder, whose files --force then replaced.)
for name, manifest in (("cad", "project: cad parts\n"), ("empty", "")):
    ud = os.path.join(TMP, f"user_manifest_{name}")
    write(os.path.join(ud, ".parts", "manifest.yaml"), manifest)
    write(os.path.join(ud, "summary.csv"), "my,data\n")
    write(os.path.join(ud, "trace.csv"), "my trace\n")
    before = sorted(os.listdir(ud))
    for flags in ((), ("--force",)):
        code, out, err = run(SWEEP, os.path.join(cwd, "sweep.yaml"), "--out", ud, "--quiet", *flags)
        check(f"user_manifest_{name}.refused{''.join(flags)}", code == 2 and one_error(err, "nlhf-sweep did not write")
              if flags else code == 2 and one_error(err, "holds something other than nlhf-sweep's output"), err)
    code, out, err = run(SWEEP, "--merge", *sorted(glob.glob(os.path.join(shards, "shard-*"))), "--out", ud, "--force")
    check(f"user_manifest_{name}.merge_refused", code == 2 and one_error(err, "nlhf-sweep did not write"), err)
    check(f"user_manifest_{name}.intact", sorted(os.listdir(ud)) == before and read(os.path.join(ud, "summary.csv"))
          == "my,data\n" and read(os.path.join(ud, "trace.csv")) == "my trace\n" and
          read(os.path.join(ud, ".parts", "manifest.yaml")) == manifest, str(sorted(os.listdir(ud))))

# --- names the results cannot be staged beside are refused before any work ---------------------------
long_name = os.path.join(TMP, "n" * 246)  # .NAME.partial-PID would be longer than 255 bytes
for flags in (("--dry-run",), ()):
    code, out, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", long_name, "--quiet", *flags)
    check(f"long_name.refused{''.join(flags)}", code == 2 and out == "" and
          one_error(err, "has a last component of 246 bytes", "expected a name of at most 238 bytes"), err)
check("long_name.nothing_written", not os.path.exists(long_name))
code, out, err = run(RUN, os.path.join(cwd, "exp.yaml"), "--out", os.path.join(TMP, "n" * 238), "--quiet")
check("long_name.longest_allowed", code == 0, err)

# --- as another user (root only: setpriv): a group's directory stays the group's; a sticky folder's
# directory of someone else's is refused before the run, not at its end -------------------------------
setpriv = shutil.which("setpriv")
if runs_as_nobody(os.path.join(BIN, "nlhf-run")):
    shared_root = os.path.join(TMP, "as_nobody")
    os.makedirs(os.path.join(shared_root, "shared"))
    write(os.path.join(shared_root, "exp.yaml"), EXPERIMENT)
    os.chmod(TMP, 0o755)
    os.chown(shared_root, 65534, 65534)
    os.chown(os.path.join(shared_root, "shared"), 65534, 100)
    os.chmod(os.path.join(shared_root, "shared"), 0o2770)
    as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--groups=100", "env", f"HOME={shared_root}"]
    p = subprocess.run(as_nobody + [RUN, "exp.yaml", "--out", "shared", "--quiet"], cwd=shared_root,
                       capture_output=True, text=True)
    st = os.stat(os.path.join(shared_root, "shared"))
    inside = os.stat(os.path.join(shared_root, "shared", "trace.csv")) if p.returncode == 0 else st
    check("group_kept", p.returncode == 0 and st.st_gid == 100 and st.st_uid == 65534 and (st.st_mode & 0o7777) == 0o2770
          and inside.st_gid == 100, f"{p.stderr} gid {st.st_gid} mode {oct(st.st_mode)} file gid {inside.st_gid}")
    sticky = os.path.join(TMP, "sticky")
    os.makedirs(os.path.join(sticky, "theirs"))
    write(os.path.join(sticky, "exp.yaml"), EXPERIMENT)
    os.chmod(sticky, 0o1777)
    os.chmod(os.path.join(sticky, "theirs"), 0o777)
    for flags in (("--dry-run",), ()):
        p = subprocess.run(as_nobody + [RUN, "exp.yaml", "--out", "theirs", "--quiet", *flags], cwd=sticky,
                           capture_output=True, text=True)
        check(f"sticky_other_owner.refused{''.join(flags)}", p.returncode == 2 and p.stdout == "" and
              one_error(p.stderr, "belongs to another user in", "a folder with the sticky bit"), p.stderr)
else:
    check.skipped.append("ownership as another user (not root, no setpriv, or nobody cannot run the tools here)")

check.finish(TMP)
