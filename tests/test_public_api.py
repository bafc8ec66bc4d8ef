"""The public surface of ``import specwire`` (docs/ARCHITECTURE.md section 7, docs/ARCHITECTURE.md section 9.1: "curated API +
``__all__``, tested like httpx").

What this protects: ``specwire.__all__`` is exactly the set of names the package exports (no
exported name missing from it, no name in it that does not resolve), every name resolves through
the lazy ``__getattr__``, the error classes and value types users need are reachable from the top
level, and ``import specwire`` alone stays cheap: it must not import httpx, jinja2 or pydantic
(checked in a fresh interpreter, since this test process has long imported them).

Why a unit test and not a replay test: replays import submodules directly and never look at the
top-level namespace; a name dropped from ``__all__`` or an eager import in ``__init__`` changes no
replayed event.
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import types
import typing

import pydantic
import pytest

import specwire

#: Helper names ``engine/__init__.py`` imports for its own use; they are not part of the API.
_INIT_HELPERS = {"annotations", "importlib", "Any", "TYPE_CHECKING"}


def _resolve_all() -> None:
    for name in specwire.__all__:
        getattr(specwire, name)


def test_all_is_sorted_and_unique() -> None:
    assert specwire.__all__ == sorted(set(specwire.__all__))


@pytest.mark.parametrize("name", specwire.__all__)
def test_every_name_in_all_resolves(name: str) -> None:
    value = getattr(specwire, name)
    assert value is not None
    if isinstance(value, types.ModuleType):
        assert value.__name__ == f"specwire.{name}"
    elif typing.get_origin(value) is typing.Union:  # a type alias such as StreamEvent: its members
        assert all(member.__module__.startswith("specwire") for member in typing.get_args(value)), (name, value)
    elif name != "__version__":
        assert getattr(value, "__module__", "").startswith("specwire"), (name, value)


def test_lazy_names_are_the_objects_of_their_modules() -> None:
    from specwire import errors, registry, request, types as t

    assert specwire.Message is t.Message
    assert specwire.RateLimitError is errors.RateLimitError
    assert specwire.SpecRegistry is registry.SpecRegistry
    assert specwire.RequestPlan is request.RequestPlan
    assert specwire.APIConnectionError is specwire.TransportError


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        specwire.no_such_name  # noqa: B018
    assert not hasattr(specwire, "_EXPORTS_typo")


def test_all_equals_the_exported_public_names() -> None:
    """httpx's rule: after every lazy name resolved, the public names in the namespace are
    ``__all__``, except submodules (an import side effect) and ``__init__``'s own helper imports."""
    _resolve_all()
    public = {
        name
        for name, value in vars(specwire).items()
        if not name.startswith("_") and name not in _INIT_HELPERS and (not isinstance(value, types.ModuleType) or name in specwire.__all__)
    }
    assert public | {"__version__"} == set(specwire.__all__)


def test_every_error_class_is_exported() -> None:
    from specwire import errors

    classes = {n for n, o in vars(errors).items() if inspect.isclass(o) and issubclass(o, BaseException) and o.__module__ == errors.__name__}
    assert classes, "no error classes found"
    assert classes <= set(specwire.__all__), sorted(classes - set(specwire.__all__))
    assert "APIConnectionError" in specwire.__all__


def test_every_value_and_event_type_is_exported() -> None:
    from specwire import types as t

    models = {n for n in t.__all__ if inspect.isclass(getattr(t, n)) and issubclass(getattr(t, n), pydantic.BaseModel)}
    assert {"Message", "Response", "Usage"} <= models
    # stream events are slotted dataclasses (the per-chunk hot path), all exported too
    events = {n for n in t.__all__ if inspect.isclass(getattr(t, n)) and issubclass(getattr(t, n), t._Event)}
    assert {"TextDelta", "Finish", "ErrorEvent", "ResponseStart"} <= events
    assert models | events <= set(specwire.__all__), sorted((models | events) - set(specwire.__all__))


def test_call_functions_are_exported_and_documented() -> None:
    for name in ("complete", "acomplete", "stream", "astream"):
        fn = getattr(specwire, name)
        assert callable(fn) and fn.__doc__
    assert inspect.iscoroutinefunction(specwire.acomplete)


def test_version_matches_the_distribution() -> None:
    from importlib.metadata import version

    assert specwire.__version__ == version("specwire")


def test_import_specwire_alone_is_cheap() -> None:
    code = (
        "import json, sys; import specwire; "
        "print(json.dumps(sorted(m for m in ('httpx', 'httpx_sse', 'jinja2', 'pydantic', 'jmespath', 'yaml') if m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert not {"httpx", "jinja2", "pydantic"} & set(loaded), loaded


def test_the_cheap_import_probe_can_fail() -> None:
    # the probe sees heavy imports when they happen: resolving a lazy name imports pydantic
    code = "import json, sys; import specwire; specwire.Message; print(json.dumps('pydantic' in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) is True


def test_submodules_are_importable_by_name() -> None:
    for name in ("specwire.types", "specwire.errors", "specwire.hooks", "specwire.registry"):
        assert importlib.import_module(name).__name__ == name
