"""House rules that a grep can check: provider knowledge lives in YAML, so no provider id appears
as a string in engine code outside the escape-hatch modules (auth hooks, framings), where a
provider-specific name is the point (issue 3, "no provider name in engine code")."""

from __future__ import annotations

import ast
import re

from specwire.registry import SpecRegistry
from tests.conftest import ROOT

ENGINE = ROOT / "engine"
ESCAPE_HATCHES = ("auth", "framing")


def test_no_provider_id_in_engine_code() -> None:
    providers = set(SpecRegistry(user_config=False, env={}).providers())
    offenders = []
    for path in sorted(ENGINE.rglob("*.py")):
        rel = path.relative_to(ENGINE)
        if rel.parts[0] in ESCAPE_HATCHES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # documentation is fine: docstrings and CLI help texts (`help=` examples)
        docstrings = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body and isinstance(n.body[0], ast.Expr)}
        docstrings |= {id(k.value) for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords if k.arg == "help"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                words = set(re.findall(r"[a-z][a-z0-9-]+", node.value))
                for name in sorted(words & providers):
                    offenders.append(f"{rel}:{node.lineno}: {name!r}")
    assert offenders == [], "provider knowledge belongs in providers.d/: " + ", ".join(offenders)


def test_lower_bounds_constraints_match_pyproject() -> None:
    """``constraints/lower-bounds.txt`` pins every dependency of the install and of the ``dev`` extra
    to the lower bound that ``pyproject.toml`` declares, so CI's lower-bounds leg tests exactly what
    the package claims to support."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {}
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][^,\s]*).*", requirement)
        if match:  # build tooling without a bound (wheel) is not pinned
            declared[match[1].lower()] = match[2]
    pins = {}
    for line in (ROOT / "constraints" / "lower-bounds.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    tooling = {"build", "setuptools"}  # build tooling is not under test
    expected = {name: _padded(version) for name, version in declared.items() if name not in tooling}
    assert {name: _padded(version) for name, version in pins.items()} == expected


def _padded(version: str) -> str:
    """``0.27`` and ``0.27.0`` name the same release."""
    parts = version.split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))
