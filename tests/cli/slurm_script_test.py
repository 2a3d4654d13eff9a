"""nlhf-sweep --emit-slurm with hostile names: every path and value reaches sbatch and the job's command
unchanged, and nothing in them is run. The emitted script is run with a fake `sbatch` on PATH that
records its arguments and runs each --wrap command through `bash -c` (once per array task), with the
nlhf-sweep binary replaced by a recorder of its arguments. Standard library only.
Usage: slurm_script_test.py BIN_DIR SOURCE_DIR"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="nlhf_slurm_script_test_")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks  # noqa: E402  (the folder of this script)

check = Checks()


def executable(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


# Hostile names: quotes of both kinds, $(...), backticks, spaces, a newline, a glob character and %.
HOSTILE = "dir with 'single' \"double\" $(touch PWNED) `touch PWNED` ${HOME}\nnext line * %a"
root = os.path.join(TMP, HOSTILE)
bindir, work = os.path.join(root, "bin $(touch PWNED)"), os.path.join(TMP, "work")
os.makedirs(bindir)
os.makedirs(work)
binary = os.path.join(bindir, "nlhf-sweep")
shutil.copy2(os.path.join(BIN, "nlhf-sweep"), binary)
sweep = os.path.join(root, "s'$(touch PWNED)'.yaml")
with open(sweep, "w") as f:
    f.write("name: slurm\ngame: {type: random_uniform, n: 4}\nbeta: 0.1\nseeds: [0]\nsolvers: [{name: nash_mp}]\n"
            "stop: {iterations: 10}\nsweep:\n  game.n: [4, 5, 6]\n")
out_dir = os.path.join(root, "out \"$(touch PWNED)\"")
log_dir = os.path.join(root, "logs `touch PWNED` 100%")
set_value = "name=it's \"quoted\" $(touch PWNED) `touch PWNED`"

p = subprocess.run([binary, sweep, "--emit-slurm", "--shards", "2", "--partition", "batch", "--time", "00:10:00",
                    "--cpus-per-task", "3", "--log-dir", log_dir, "--out", out_dir, "--set", set_value],
                   cwd=work, capture_output=True, text=True)
check("emit.exit", p.returncode == 0, p.stderr)
script = os.path.join(work, "submit.sh")
with open(script, "w") as f:
    f.write(p.stdout)
check("emit.comments_one_line", all(line.startswith("#") for line in p.stdout.splitlines()[:4]), p.stdout)

# The binary becomes a recorder; sbatch is a fake that runs the jobs right away.
records = os.path.join(TMP, "nlhf-sweep.jsonl")
sbatch_records = os.path.join(TMP, "sbatch.jsonl")
executable(binary, f"""#!{sys.executable}
import json, os, sys
with open({records!r}, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
if "--shard" in sys.argv:
    os.makedirs(sys.argv[sys.argv.index("--out") + 1])
""")
fakebin = os.path.join(TMP, "fakebin")
os.makedirs(fakebin)
executable(os.path.join(fakebin, "sbatch"), f"""#!{sys.executable}
import json, os, subprocess, sys
args = sys.argv[1:]
with open({sbatch_records!r}, "a") as f:
    f.write(json.dumps(args) + "\\n")
wrap = next(a[len("--wrap="):] for a in args if a.startswith("--wrap="))
array = next((a[len("--array="):] for a in args if a.startswith("--array=")), None)
ids = range(int(array.split("-")[0]), int(array.split("-")[1]) + 1) if array else [None]
for i in ids:
    env = dict(os.environ)
    if i is not None:
        env["SLURM_ARRAY_TASK_ID"] = str(i)
    subprocess.run(["bash", "-c", wrap], env=env, check=True)
print(1000 + len(open({sbatch_records!r}).readlines()))
""")
env = dict(os.environ, PATH=fakebin + os.pathsep + os.environ["PATH"])
s = subprocess.run(["bash", script], cwd=work, env=env, capture_output=True, text=True)
check("submit.exit", s.returncode == 0, s.stdout + s.stderr)
check("submit.message", s.stdout == f"submitted shards as job 1001 and the merge as job 1002; results in {out_dir}\n",
      repr(s.stdout))

pwned = [os.path.join(d, f) for d, _, files in os.walk(TMP) for f in files if f == "PWNED"]
check("no_injection", not pwned, str(pwned))
check("log_dir_created", os.path.isdir(log_dir), log_dir)


def lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


calls = lines(sbatch_records) if os.path.exists(sbatch_records) else []
check("sbatch.calls", len(calls) == 2, str(calls))
if len(calls) == 2:
    shard_log = log_dir.replace("%", "%%") + "/shard-%a.out"
    check("sbatch.array_args", calls[0][:6] == ["--parsable", "--job-name=nlhf-sweep", "--array=1-2",
                                                 "--partition=batch", "--time=00:10:00", "--cpus-per-task=3"]
          and calls[0][6] == "--output=" + shard_log, str(calls[0]))
    check("sbatch.merge_args", calls[1][:5] == ["--parsable", "--job-name=nlhf-merge", "--dependency=afterok:1001",
                                                "--partition=batch", "--time=00:10:00"]
          and calls[1][5] == "--output=" + log_dir.replace("%", "%%") + "/merge.out", str(calls[1]))
got = lines(records) if os.path.exists(records) else []
want = [[sweep, "--set=" + set_value, "--shard", f"{k}/2", "--out", f"{out_dir}/shard-{k}", "--jobs", "3", "--quiet"]
        for k in (1, 2)]
want.append(["--merge", f"{out_dir}/shard-1", f"{out_dir}/shard-2", "--out", out_dir])
check("job_commands_intact", got == want, f"\n got {got}\nwant {want}")

check.finish(TMP)
