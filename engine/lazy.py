"""Deferred imports: a module's names bound on first use, so ``import specwire`` stays lean.

``from specwire import Client`` loads what creating a :class:`~specwire.Client` needs; the call
pipeline (the pydantic models, the spec compiler and its Jinja templates, the assembler) is
imported by the first call.  A module that calls a function (or constructs a class) of a module it
should not load up front writes::

    if TYPE_CHECKING:
        from .attempts import final, observed
    else:
        defer(globals(), "specwire.attempts", "final", "observed")

Type checkers read the real import; at run time each name is a stand-in that, when first called,
imports the module, rebinds every deferred name of that import in the caller's namespace to the
real object and forwards the call.  From then on the caller's global lookups find the real
functions, so a call pays nothing after the first.  Only for names the module *calls*: a name used
in ``isinstance`` or as a base class must be imported for real (or inside the function).
``tests/unit/test_import_cost.py`` checks what ``from specwire import Client`` loads.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, MutableMapping
from typing import Any

__all__ = ["defer"]


def defer(namespace: MutableMapping[str, Any], module: str, *names: str) -> None:
    """Bind each of ``names`` in ``namespace`` (a module's ``globals()``) to a stand-in for
    ``module``'s object of that name; the first call of any of them imports ``module`` and rebinds
    those still bound to their stand-in (a name replaced meanwhile, as a test's monkeypatch does,
    is left alone).  Raises (on that first call) what the import raises."""
    stand_ins: dict[str, Callable[..., Any]] = {}

    def load() -> Any:
        imported = importlib.import_module(module)
        for name, stand_in in stand_ins.items():
            if namespace.get(name) is stand_in:
                namespace[name] = getattr(imported, name)
        return imported

    for name in names:
        stand_ins[name] = namespace[name] = _stand_in(name, module, load)


def _stand_in(name: str, module: str, load: Callable[[], Any]) -> Callable[..., Any]:
    def stand_in(*args: Any, **kwargs: Any) -> Any:
        return getattr(load(), name)(*args, **kwargs)

    stand_in.__name__ = stand_in.__qualname__ = name
    stand_in.__doc__ = f"{module}.{name}, imported on first use (specwire.lazy)."
    return stand_in
