"""The re-exports type checkers read agree with the lazy exports the interpreter uses.

What this protects: ``specwire`` and ``specwire.router`` import their public names lazily
(``_EXPORTS`` and a module ``__getattr__``), which type checkers cannot follow; so each
``__init__.py`` also re-exports every name explicitly (``from .x import Y as Y`` under
``TYPE_CHECKING``) and spells ``__all__`` as a literal list.  A name added to ``_EXPORTS`` but not
to those, or imported from another module than the one ``_EXPORTS`` names, would be ``Any`` or
an error in a user's mypy/pyright run while every runtime test passes.

Why a unit test on the source and not a type-checker run: it is instant and names the missing
line; tests/typing/test_typecheck.py runs the checkers themselves.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def _type_checking_imports(tree: ast.Module) -> dict[str, str]:
    """``{name: module}`` of the ``from .module import name as name`` re-exports under ``if
    TYPE_CHECKING``; ``module`` is ``""`` for ``from . import name as name``."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id.lstrip("_") == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.level == 1:
                    for alias in stmt.names:
                        if alias.asname == alias.name:
                            out[alias.name] = stmt.module or ""
    return out


def _literal_all(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            names: list[str] = list(ast.literal_eval(node.value))  # a literal, or this raises
            assert all(isinstance(name, str) for name in names)
            return names
    raise AssertionError("no __all__ assignment")


@pytest.mark.parametrize(("package", "path", "functions"), [
    ("specwire", ENGINE / "__init__.py", {"acomplete", "acount_tokens", "aembed", "astream", "complete", "count_tokens", "embed", "stream", "__version__"}),
    ("specwire.router", ENGINE / "router" / "__init__.py", set[str]()),
])
def test_every_lazy_export_is_re_exported_for_type_checkers(package: str, path: Path, functions: set[str]) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = importlib.import_module(package)
    exports: dict[str, str] = module._EXPORTS
    reexported = _type_checking_imports(tree)
    mismatched = {name: (reexported.get(name), mod) for name, mod in exports.items() if reexported.get(name) != mod}
    assert not mismatched, f"(re-exported from, exported from) differ: {mismatched}"
    assert set(reexported) == set(exports), sorted(set(exports) ^ set(reexported))
    assert _literal_all(tree) == sorted(set(exports) | functions) == module.__all__
