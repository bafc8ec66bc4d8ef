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
