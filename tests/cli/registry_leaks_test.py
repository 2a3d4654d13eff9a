"""A registry entry describes itself: adding a solver, generator or reference policy
takes its own file plus its lines in lib/src/registries.cc, and nothing else names it.

Checks, on the source tree:
- each entry function (`<Name>Entry`, declared in registries.cc) is named in exactly two files: its
  own (lib/src/games|references|solvers/) and registries.cc;
- each registered solver (from `nlhf-run --list solvers`) has its file lib/src/solvers/<name>.cc,
  and no string literal in lib/, apps/ or python/ outside lib/src/solvers/ and registries.cc names a solver
  (code that switches on a name, `s != "mwu"`, or a message listing solvers), except the few
  allowed below, each with its reason.
Standard library only. Usage: registry_leaks_test.py BIN_DIR SOURCE_DIR"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, call  # noqa: E402  (the folder of this script)

# (file, literal text containing the name): examples in help text and messages, and the certified
# equilibrium's own fallback algorithm (a dependency on Nash Mirror Prox, not a switch on a name).
ALLOWED = {
    ("lib/src/equilibrium.cc", "nash_mp"),
    ("lib/src/equilibrium.cc", "newton+nash_mp"),
    ("lib/src/equilibrium.cc", "krylov+nash_mp"),
    ("lib/src/config.cc", "a list like - {name: nash_mp} (nlhf-run --list solvers)"),
    ("apps/nlhf-run/main.cc", "    - {name: nash_mp}\\n"),
    ("apps/nlhf-run/main.cc",
     "    - {name: omd, eta: auto}                    # or eta: 0.9*limit (0.9 x this game's stability limit)\\n"),
    ("apps/nlhf-run/main.cc", "    - {name: omd, eta: 0.05, label: omd_fixed}  # label: tells two entries of one solver apart\\n"),
    ("python/src/solver.cc", "The canonical spec after reset, e.g. nash_mp(eta=0.02): what trace.csv's params column holds."),
}


def literals(text):
    """The string literals of C++ source `text` (their text between the quotes, escapes kept),
    comments and character literals skipped; raw strings R"d(...)d" included. Digit separators
    (1'000'000) go first: read as character literals they would hide the literals after them."""
    text = re.sub(r"(?<=[0-9])'(?=[0-9])", "", text)
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2)
            i = n if i < 0 else i + 2
        elif c == "R" and i + 1 < n and text[i + 1] == '"' and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            open_paren = text.find("(", i + 2)
            delim = text[i + 2:open_paren]
            end = text.find(")" + delim + '"', open_paren)
            out.append(text[open_paren + 1:end])
            i = end + len(delim) + 2
        elif c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            if c == '"':
                out.append(text[i + 1:j])
            i = j + 1
        else:
            i += 1
    return out


def sources(root, folders):
    for folder in folders:
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for f in sorted(files):
                if f.endswith((".cc", ".h")):
                    path = os.path.join(dirpath, f)
                    yield os.path.relpath(path, root), open(path, encoding="utf-8").read()


def main():
    bin_dir, root = sys.argv[1], sys.argv[2]
    check = Checks()

    # The lexer itself, on the cases that matter.
    check("lexer", literals('a("x") // "c"\n/* "d" */ b(\'"\', R"(r"s)", "e\\"f")') == ["x", 'r"s', 'e\\"f'],
          literals('a("x") // "c"\n/* "d" */ b(\'"\', R"(r"s)", "e\\"f")'))
    check("lexer: digit separators", literals("x = 1'000'000; f(\"omd\", '0', '1');") == ["omd"],
          literals("x = 1'000'000; f(\"omd\", '0', '1');"))

    code, out, err = call([os.path.join(bin_dir, "nlhf-run"), "--list", "solvers"], root)
    check("list solvers", code == 0, err)
    solvers = [line for line in out.splitlines() if re.fullmatch(r"[a-z][a-z0-9_]*", line)]
    check("solvers listed", len(solvers) >= 12, solvers)

    all_sources = dict(sources(root, ["lib", "apps", "python", "tests", "bench"]))
    registries = open(os.path.join(root, "lib/src/registries.cc"), encoding="utf-8").read()
    entries = re.findall(r"^\w+ (\w+Entry)\(\);$", registries, re.M)
    check("entry functions declared in registries.cc", len(entries) >= 12 + 10 + 4, entries)
    for fn in entries:
        files = sorted(p for p, text in all_sources.items() if re.search(r"\b%s\b" % fn, text))
        own = [p for p in files if re.match(r"lib/src/(games|references|solvers)/\w+\.cc$", p)]
        check(f"{fn} is named in its own file and registries.cc only",
              len(own) == 1 and files == sorted(own + ["lib/src/registries.cc"]), files)

    for name in solvers:
        check(f"{name} has its own file", os.path.isfile(os.path.join(root, "lib/src/solvers", name + ".cc")))
        entry = "".join(w.title() for w in name.split("_")) + "Entry"
        check(f"{name} is listed in registries.cc as {entry}", len(re.findall(r"\b%s\(\)," % entry, registries)) == 1)

    pattern = re.compile(r"(?<![A-Za-z0-9_])(%s)(?![A-Za-z0-9_])" % "|".join(map(re.escape, solvers)))
    leaks = []
    for path, text in all_sources.items():
        if not path.startswith(("lib/", "apps/", "python/")) or path.startswith("lib/src/solvers/") or path == "lib/src/registries.cc":
            continue
        for lit in literals(text):
            if pattern.search(lit) and (path, lit) not in ALLOWED:
                leaks.append(f"{path}: \"{lit}\"")
    check("no solver named outside its file and registries.cc", not leaks, "\n  " + "\n  ".join(leaks))
    # The allow list holds only literals that still exist (a stale entry would hide nothing).
    for path, lit in sorted(ALLOWED):
        check(f"allowed literal still in {path}", lit in literals(all_sources.get(path, "")), lit)
    check.finish()


if __name__ == "__main__":
    main()
