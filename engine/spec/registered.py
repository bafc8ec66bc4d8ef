"""A spec built in code as the YAML text of a file (:meth:`specwire.registry.SpecRegistry.register`).

A registered mapping is dumped with ``yaml.safe_dump`` and loaded back by
:func:`specwire.spec.loader.load_text`, so it meets the same limits, traps and checks as a file;
this module only refuses what no YAML file could hold, before dumping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from .loader import MAX_DEPTH

__all__ = ["mapping_text"]

_SCALARS = (str, int, float, bool, type(None))


def mapping_text(spec: Mapping[str, Any], label: str) -> str:
    """``spec`` as the YAML text of a file (``yaml.safe_dump``, keys in their order), so that a
    registered mapping goes through the loader a file goes through.  Raises :class:`SpecError`
    for a value no YAML file could hold (an object, a set, bytes) and for a mapping that contains
    itself; nesting deeper than :data:`~specwire.spec.loader.MAX_DEPTH` is the loader's
    ``yaml-depth``, as in a file."""
    import yaml

    inside: set[int] = set()  # the containers on the current path (a mapping that holds itself)

    def plain(value: Any, depth: int, where: str) -> Any:
        if isinstance(value, (Mapping, list, tuple)):
            if id(value) in inside:
                raise SpecError(f"{where}: the mapping contains itself", file=label, line=1, col=1, rule="yaml-alias")
            if depth > MAX_DEPTH + 1:  # the loader reports the depth precisely; this only bounds the dump
                raise SpecError(f"{where}: nesting deeper than {MAX_DEPTH} levels", file=label, line=1, col=1, rule="yaml-depth")
            inside.add(id(value))
            try:
                return container(value, depth, where)
            finally:
                inside.discard(id(value))
        if isinstance(value, _SCALARS):
            return value
        raise SpecError(f"{where or 'the spec'}: a value of type {type(value).__name__} (a spec holds mappings, lists, strings, numbers, booleans and null)",
                        file=label, line=1, col=1, rule="registered-value")

    def container(value: Any, depth: int, where: str) -> Any:
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for k, v in value.items():  # pyright: ignore[reportUnknownVariableType] - any user mapping
                if not isinstance(k, _SCALARS):
                    raise SpecError(f"{where or 'the spec'}: a key of type {type(k).__name__} (keys are strings)", file=label, line=1, col=1, rule="registered-value")
                out[k] = plain(v, depth + 1, f"{where}.{k}" if where else str(k))
            return out
        return [plain(v, depth + 1, f"{where}.{i}") for i, v in enumerate(value)]  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]

    return yaml.safe_dump(plain(spec, 0, ""), sort_keys=False, allow_unicode=True, default_flow_style=False)
