"""The sans-IO import boundary (docs/ARCHITECTURE.md section 2, docs/ARCHITECTURE.md section 9.1): only the I/O modules import
httpx.

What this protects: every pipeline stage except ``transport`` and the auth hooks is pure and must
stay unit-testable without a network stack. The allowed importers of httpx are
``engine/transport.py`` (and its aiohttp half ``transport_aiohttp.py``), ``engine/client.py`` (with the call loop's ``attempts.py`` and the operations' ``client_ops.py`` and
``op_calls.py``), ``engine/auth/*.py``, ``engine/cli/*.py`` and the gateway's server modules
(``engine/gateway/app.py``, ``health.py``, ``serve.py``; its wire translation stays pure). This
test parses every module under ``engine/`` with :mod:`ast` (imports inside functions count too),
follows the package's own imports so that a pure stage cannot reach httpx through an I/O module,
and checks at run time, in a fresh interpreter, that importing a pure stage does not load httpx.

Why a unit test and not a replay test: replays exercise behaviour, not structure; a stray
``import httpx`` in a pure stage changes no replayed event, so only a static (and import-time)
check catches it.
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ENGINE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["specwire", *parts])


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(ENGINE.rglob("*.py"))}


def _allowed(path: Path) -> bool:
    rel = path.relative_to(ENGINE).as_posix()
    return rel in ("transport.py", "transport_aiohttp.py", "client.py", "attempts.py", "client_ops.py", "op_calls.py", "router/core.py", "router/embed.py",
                   "gateway/app.py", "gateway/health.py", "gateway/serve.py") or rel.startswith(("auth/", "cli/"))


@functools.lru_cache(maxsize=None)
def _imports(name: str, path: Path) -> frozenset[str]:
    """Every module an ``import`` statement in ``path`` names (absolute, relative resolved), plus
    string arguments of ``importlib.import_module`` / ``__import__`` calls.  Imports under ``if
    TYPE_CHECKING:`` are left out: they never run (the re-exports type checkers read)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in ("import_module", "__import__"):
                found.add(node.args[0].value)
    return frozenset(found)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """The nodes of ``tree`` outside ``if TYPE_CHECKING:`` blocks (any spelling of the name)."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name.lstrip("_") == "TYPE_CHECKING":
                stack.extend(node.orelse)
                continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def _is_httpx(module: str) -> bool:
    return module == "httpx" or module.startswith("httpx.")


def test_the_scan_sees_the_engine() -> None:
    assert "specwire.transport" in MODULES and "specwire.framing.sse" in MODULES
    assert any(_is_httpx(m) for m in _imports("specwire.transport", MODULES["specwire.transport"]))


@pytest.mark.parametrize("name", sorted(n for n, p in MODULES.items() if not _allowed(p)))
def test_only_io_modules_import_httpx(name: str) -> None:
    path = MODULES[name]
    httpx_imports = sorted(m for m in _imports(name, path) if _is_httpx(m))
    assert httpx_imports == [], f"{path.relative_to(ENGINE)} imports {httpx_imports}; only transport, client, auth/* and cli/* may"


def _io_modules() -> set[str]:
    return {n for n, p in MODULES.items() if _allowed(p)}


PURE = sorted(n for n, p in MODULES.items() if not _allowed(p) and n not in ("specwire",))


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_do_not_reach_io_modules_through_package_imports(name: str) -> None:
    """Follow specwire-internal imports (module-level and lazy alike) from a pure module; none may
    lead to transport, client, auth or cli."""
    io = _io_modules()
    seen: set[str] = set()
    stack = [name]
    paths: dict[str, str] = {name: name}
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for imported in _imports(current, MODULES[current]):
            target = imported
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if not target or target == "specwire" or target in seen:
                continue
            paths.setdefault(target, f"{paths[current]} -> {target}")
            assert target not in io, f"pure module reaches an I/O module: {paths[target]}"
            stack.append(target)


_PROBE = """
import importlib, json, sys
result = {}
for name in json.loads(sys.argv[1]):
    before = set(sys.modules)
    importlib.import_module(name)
    new = set(sys.modules) - before
    result[name] = sorted(m for m in new if m == "httpx" or m.startswith("httpx."))
    if result[name]:
        # forget everything this import loaded, so that a later module that imports the same
        # culprit loads it again and is blamed too (modules kept cached were verified clean)
        for m in new:
            del sys.modules[m]
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def runtime_httpx_loads() -> dict[str, list[str]]:
    """For each pure module: the httpx modules that importing it loads, measured in one fresh
    interpreter (see ``_PROBE``)."""
    # transport goes last: it must be blamed, which shows the probe can see httpx at all
    names = [*PURE, "specwire.transport"]
    result = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(names)], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_runtime_probe_detects_httpx(runtime_httpx_loads: dict[str, list[str]]) -> None:
    assert "httpx" in runtime_httpx_loads["specwire.transport"]


#: Pure modules that load httpx through a third-party package (none: the ``sse`` framing decodes
#: bytes itself since it stopped using httpx-sse's decoders).
LOADS_HTTPX_THROUGH_A_DEPENDENCY: set[str] = set()


@pytest.mark.parametrize("name", PURE)
def test_importing_a_pure_module_does_not_load_httpx(name: str, runtime_httpx_loads: dict[str, list[str]]) -> None:
    """At run time, too: a pure stage must not load httpx, not even through a third-party package."""
    if name in LOADS_HTTPX_THROUGH_A_DEPENDENCY:
        assert runtime_httpx_loads[name][:1] == ["httpx"]  # documented; the day it changes, drop the exception
        return
    assert runtime_httpx_loads[name] == [], f"importing {name} loads {runtime_httpx_loads[name][:3]}…"


# ---------------------------------------------------------------------------- OpenTelemetry
def _module_level_imports(path: Path) -> set[str]:
    """The modules imported at module level (not inside a function) by ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add(node.module or "")
    return found


def test_only_otel_imports_opentelemetry_and_only_lazily() -> None:
    """OpenTelemetry is the optional ``otel`` extra (docs/observability.md): only engine/otel.py
    imports it, inside :class:`~specwire.otel.Telemetry`, so no module loads it at import time."""
    for name, path in MODULES.items():
        otel = sorted(m for m in _imports(name, path) if m.split(".")[0] == "opentelemetry")
        if path.name == "otel.py" and path.parent == ENGINE:
            assert otel, "the scan must see engine/otel.py's lazy import"
            assert not any(m.split(".")[0] == "opentelemetry" for m in _module_level_imports(path))
        else:
            assert otel == [], f"{path.relative_to(ENGINE)} imports {otel}; only otel.py may, lazily"


def test_importing_every_module_does_not_load_opentelemetry() -> None:
    code = (
        "import importlib, json, sys\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'opentelemetry')))\n"
    )
    names = sorted(n for n in MODULES if not n.startswith("specwire.cli"))
    result = subprocess.run([sys.executable, "-c", code, json.dumps(names)], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
