"""Mutation testing of the core modules with mutmut 2 (house rule: "tests must be able to fail").

    pip install 'mutmut>=2.5,<3'          # in the environment that has specwire[dev] installed
    python tools/mutation/run.py            # every core module (see README.md for the time it takes)
    python tools/mutation/run.py sse params # some of them
    python tools/mutation/run.py --report   # the figures of the last run (.mutmut-cache), no new run

For each module mutmut 2 rewrites the source file in place, one mutant at a time, and runs the
module's test selection (``MODULES``, a few seconds) against it; the file is restored after each
mutant.  The runner is this script itself (``--pytest``): it runs pytest in-process and turns every
failing exit code into 1, because mutmut 2 counts only exit code 1 as a kill, so a mutant that does
not even import (pytest's exit code 2, a collection error) would otherwise "survive".

The figures: killed, survived, timeout (a timeout kills too: the tests noticed), suspicious (tests
failed, slowly: killed) and the kill rate killed / all mutants.  Survivors listed in
``equivalents.json`` (mutants with no observable difference, each with its reason) are reported
apart, and the adjusted rate is killed / (all - equivalent).  Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = ROOT / ".mutmut-cache"

#: module → (source file, its test selection): the module's unit tests plus the replay tests of
#: the recorded provider cases that run through it.  Each selection runs in a few seconds.
REPLAY = "tests/providers/test_replay_corpus.py::test_replay_matches_expected"
MODULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "accounting": ("engine/accounting.py", ("tests/unit/test_accounting.py",)),
    "sse": ("engine/framing/sse.py", ("tests/unit/test_framing_sse.py",)),
    "params": ("engine/params.py", ("tests/unit/test_params.py",)),
    "mapping": ("engine/mapping.py", ("tests/unit/test_mapping.py", "tests/unit/test_dispatch.py", "tests/unit/test_rule_features.py", REPLAY)),
    # provider parts (server tools), log probabilities and extra choices come through the provider tests
    "assemble": ("engine/assemble.py", ("tests/unit/test_assemble.py", REPLAY, "tests/providers/test_content_blocks.py", "tests/providers/test_call_options.py")),
}
PYTEST_ARGS = ("-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider")
KILLED = ("ok_killed", "bad_timeout", "ok_suspicious")


def run_pytest(tests: list[str]) -> int:
    """The mutmut runner: 0 when the selection passes, 1 for any failure (collection errors too)."""
    import pytest

    return 0 if pytest.main([*PYTEST_ARGS, *tests]) == 0 else 1


def mutmut_command() -> str:
    exe = Path(sys.executable).with_name("mutmut")
    found = str(exe) if exe.exists() else shutil.which("mutmut")
    if found is None:
        sys.exit("mutmut is not installed: pip install 'mutmut>=2.5,<3' (see tools/mutation/README.md)")
    return found


def run_module(mutmut: str, name: str) -> float:
    source, tests = MODULES[name]
    runner = " ".join([sys.executable, str(Path(__file__).relative_to(ROOT)), "--pytest", *tests])
    start = time.monotonic()
    subprocess.run([mutmut, "run", "--paths-to-mutate", source, "--tests-dir", "tests", "--runner", runner, "--simple-output", "--no-progress"], cwd=ROOT, check=False)
    return time.monotonic() - start


def forget(name: str, *, keep_results: bool = False) -> None:
    """Drop the module's results from the cache, so that every mutant is tested again (with
    ``keep_results``, mutmut keeps the killed ones and tests the others again when the tests have
    changed), and the cached baseline time, so that mutmut runs the module's selection unmutated
    first (it must pass) and times out a mutant at ten times that selection's own time."""
    if not CACHE.exists():
        return
    db = sqlite3.connect(CACHE)
    with db:
        db.execute("DELETE FROM MiscData WHERE key = 'baseline_time_elapsed'")
        if keep_results:
            return
        for (source_id,) in db.execute("SELECT id FROM SourceFile WHERE filename = ?", (MODULES[name][0],)).fetchall():
            db.execute("DELETE FROM Mutant WHERE line IN (SELECT id FROM Line WHERE sourcefile = ?)", (source_id,))
            db.execute("DELETE FROM Line WHERE sourcefile = ?", (source_id,))
            db.execute("DELETE FROM SourceFile WHERE id = ?", (source_id,))
    db.close()


def load_equivalents() -> dict[str, list[dict[str, object]]]:
    path = HERE / "equivalents.json"
    return json.loads(path.read_text()) if path.exists() else {}


def mutant_diff(mutmut: str, mutant_id: int) -> str:
    shown = subprocess.run([mutmut, "show", str(mutant_id)], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    return "\n".join(line for line in shown.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++"))


def report(mutmut: str, names: list[str], elapsed: dict[str, float], verbose: bool) -> list[str]:
    """Print the figures per module; returns the modules below 90 % (adjusted)."""
    db = sqlite3.connect(CACHE)
    equivalents = load_equivalents()
    below = []
    print(f"\n{'module':<11} {'mutants':>7} {'killed':>6} {'survived':>8} {'timeout':>7} {'equiv':>5} {'rate':>6} {'adjusted':>8} {'time':>6}")
    for name in names:
        source = MODULES[name][0]
        rows = db.execute(
            'SELECT m.id, m.status, l.line, m."index", l.line_number FROM Mutant m JOIN Line l ON m.line = l.id JOIN SourceFile s ON l.sourcefile = s.id WHERE s.filename = ?',
            (source,),
        ).fetchall()
        if not rows:
            print(f"{name:<11} (not run)")
            continue
        # a mutant is named by its line's text, the mutation's index on the line and, for a line
        # whose text occurs more than once in the file, which occurrence (1, 2…)
        numbers: dict[str, list[int]] = {}
        for line_number, text in {(r[4], r[2].strip()) for r in rows}:
            numbers.setdefault(text, []).append(line_number)
        known = {(str(e["line"]).strip(), e["index"], e.get("occurrence")) for e in equivalents.get(name, [])}

        def is_equivalent(text: str, index: int, line_number: int) -> bool:
            occurrence = sorted(numbers[text.strip()]).index(line_number) + 1
            return (text.strip(), index, None) in known or (text.strip(), index, occurrence) in known

        killed = sum(1 for row in rows if row[1] in KILLED)
        timeout = sum(1 for row in rows if row[1] == "bad_timeout")
        survivors = [(mid, line, index, number) for mid, status, line, index, number in rows if status not in KILLED]
        equivalent = [s for s in survivors if is_equivalent(s[1], s[2], s[3])]
        unexplained = [s for s in survivors if not is_equivalent(s[1], s[2], s[3])]
        rate = killed / len(rows)
        adjusted = killed / (len(rows) - len(equivalent))
        took = f"{elapsed[name] / 60:.1f}m" if name in elapsed else ""
        print(f"{name:<11} {len(rows):>7} {killed:>6} {len(survivors):>8} {timeout:>7} {len(equivalent):>5} {rate:>6.1%} {adjusted:>8.1%} {took:>6}")
        if adjusted < 0.9:
            below.append(name)
        if verbose:
            for mid, *_ in unexplained:
                print(f"  survived #{mid}:\n    " + mutant_diff(mutmut, mid).replace("\n", "\n    "))
    return below


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"default: all of them ({', '.join(MODULES)})")
    parser.add_argument("--report", action="store_true", help="print the figures of the last run only")
    parser.add_argument("--survivors", action="store_true", help="show each survivor not listed in equivalents.json")
    parser.add_argument("--again", action="store_true", help="keep the last run's results and test only its survivors again (after adding tests)")
    parser.add_argument("--pytest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pytest is not None:
        return run_pytest(args.pytest)
    names = args.modules or list(MODULES)
    unknown = [name for name in names if name not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    mutmut = mutmut_command()
    elapsed: dict[str, float] = {}
    if not args.report:
        os.chdir(ROOT)
        for name in names:
            forget(name, keep_results=args.again)  # a fresh measurement of the module, or of its survivors
            elapsed[name] = run_module(mutmut, name)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "engine"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
        if dirty.strip():
            print(f"warning: engine/ is not as it was (mutmut should have restored it):\n{dirty}", file=sys.stderr)
    below = report(mutmut, names, elapsed, args.survivors)
    if below:
        print(f"\nbelow 90 % (adjusted): {', '.join(below)}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
