"""What ``import specwire`` and ``from specwire import Client`` load (issue 13: load only what is
used).  Creating a client needs httpx and the spec registry; the call pipeline (the pydantic
models, the spec loader and compiler with PyYAML, Jinja and jmespath, httpcore's pools, jsonschema,
rich)
loads with the first call (:mod:`specwire.lazy`).  Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from specwire.lazy import defer

#: never loaded by ``from specwire import Client`` (nor by creating one)
DEFERRED = ("pydantic", "jinja2", "jmespath", "yaml", "jsonschema", "rich", "httpcore", "specwire.types", "specwire.spec.compile", "specwire.request", "specwire.attempts")


def _loaded(code: str) -> list[str]:
    """The modules of :data:`DEFERRED` in ``sys.modules`` after ``code``, in a fresh interpreter.
    httpx imports rich for its command line when rich is installed (``httpx._main``); that import
    is blocked, so a rich import seen here is specwire's own."""
    program = (
        "import sys, json\n"
        "sys.modules['httpx._main'] = None\n"
        f"{code}\n"
        f"print(json.dumps(sorted(m for m in {DEFERRED!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def _httpx_own() -> set[str]:
    """What ``import httpx`` loads of :data:`DEFERRED` by itself: httpx before 0.28 imports
    httpcore at import time, which no client can avoid."""
    return set(_loaded("import httpx"))


def test_from_specwire_import_client_loads_no_call_pipeline() -> None:
    assert set(_loaded("from specwire import Client")) <= _httpx_own()


def test_import_specwire_loads_no_call_pipeline() -> None:
    assert set(_loaded("import specwire")) <= _httpx_own()


def test_httpx_alone_loads_nothing_but_its_own_transport() -> None:
    """The allowance above is httpx's own import and nothing of specwire's pipeline."""
    assert _httpx_own() <= {"httpcore"}


def test_creating_a_client_loads_no_call_pipeline() -> None:
    loaded = _loaded("from specwire import Client\nClient(api_keys={'openai': 'k'})")
    assert set(loaded) <= {"httpcore"}  # the pools' connect-time guard (specwire.netguard) may load


def test_the_first_call_loads_the_pipeline() -> None:
    loaded = _loaded("import specwire\nspecwire.Client(api_keys={'openai': 'k'}).build('openai:gpt-4o', 'hi')")
    assert {"pydantic", "jinja2", "yaml", "specwire.types", "specwire.spec.compile", "specwire.request"} <= set(loaded)


def test_public_names_resolve_to_the_real_objects() -> None:
    import specwire
    import specwire.types

    assert specwire.Response is specwire.types.Response
    assert specwire.Client.__module__ == "specwire.client"


def test_defer_binds_the_real_object_on_first_call() -> None:
    namespace: dict[str, Any] = {}
    defer(namespace, "json", "dumps", "loads")
    stand_in = namespace["dumps"]
    assert stand_in is not json.dumps
    assert namespace["dumps"]([1]) == "[1]"
    assert namespace["dumps"] is json.dumps and namespace["loads"] is json.loads  # every name of the import, at once


def test_defer_leaves_a_replaced_name_alone() -> None:
    """A name rebound before the first call (a test's monkeypatch wrapping the stand-in) keeps
    its new value; the stand-in still reaches the real object."""
    namespace: dict[str, Any] = {}
    defer(namespace, "json", "dumps", "loads")
    real = namespace["dumps"]
    namespace["dumps"] = lambda value: "patched:" + real(value)
    assert namespace["dumps"]([1]) == "patched:[1]"
    assert namespace["dumps"]([2]) == "patched:[2]"
    assert namespace["loads"] is json.loads


def test_defer_raises_the_import_error_on_first_call() -> None:
    namespace: dict[str, Any] = {}
    defer(namespace, "specwire_no_such_module", "f")
    with pytest.raises(ImportError):
        namespace["f"]()
