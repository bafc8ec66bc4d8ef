"""The ``operations:`` of a spec, compiled: requests besides chat (embeddings, token counting,
model listing), each with its own request template and response fields (docs/ARCHITECTURE.md
section 4, "Operations").

An operation reuses the spec's base URL, auth, headers and error rules; it declares its own
``method``/``path``/``query``/``body`` (templates, as ``request:``), optionally another
``base_url``, the options it ``accepts``, a ``max_batch`` (inputs per request: an integer, or a
template of ``model``/``settings``/``model_info`` giving one, for a provider whose models take
different batch sizes), for embed an ``item`` (a tree rendered once per input, with ``input`` and
``index``; the list is the template value ``items``, for a body that wraps each text), for list_models an
``id_prefix`` taken off each listed id (Gemini's ``models/``) and ``response``:
one JMESPath per output field, evaluated on the parsed JSON body.  Which output fields an
operation must declare is :data:`specwire.vocabulary.OPERATIONS` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..jpath import JPath
from ..render import CompiledTree
from ..urls import UrlTemplate
from ..vocabulary import OPERATION_ITEM_FIELDS, OPERATION_OPTIONS, OPERATIONS

__all__ = ["ITEM_FIELDS", "OPERATIONS", "OPERATION_OPTIONS", "OperationSpec", "compile_operations"]

#: The operations, their response fields and options are named in :mod:`specwire.vocabulary`.
ITEM_FIELDS = OPERATION_ITEM_FIELDS


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """One compiled operation.  ``response``: output field → JMESPath; ``accepts``: the operation
    options this provider takes (others are dropped with an ``unsupported-param`` warning);
    ``max_batch``: the most inputs per request (``None``: no limit)."""

    name: str
    method: str
    base_url: UrlTemplate | None
    path: UrlTemplate
    query: tuple[tuple[str, CompiledTree], ...]
    body: CompiledTree | None
    headers: tuple[tuple[str, CompiledTree], ...]
    accepts: frozenset[str]
    max_batch: int | CompiledTree | None
    response: MappingProxyType[str, JPath]
    docs: str | None = None
    id_prefix: str | None = None
    item: CompiledTree | None = None


def compile_operations(c: Any, data: Any) -> MappingProxyType[str, OperationSpec]:
    """The spec's ``operations`` map compiled; problems are reported on ``c`` (the spec compiler
    of :mod:`specwire.spec.compile`: ``problem``, ``jp``, ``tree``, ``url``)."""
    out: dict[str, OperationSpec] = {}
    for name, entry in (data or {}).items():
        if entry is None:
            continue
        p: tuple[object, ...] = ("operations", name)
        required, optional = OPERATIONS.get(name, ((), ()))
        response: dict[str, JPath] = {}
        for field_name, expr in (entry.get("response") or {}).items():
            if field_name not in required and field_name not in optional:
                c.problem(p + ("response", field_name), "operation-field", f"operation {name!r} has no response field {field_name!r} (it takes: {', '.join((*required, *optional))})")
            elif (jp := c.jp(expr, p + ("response", field_name))) is not None:
                response[field_name] = jp
        missing = [f for f in required if f not in (entry.get("response") or {})]
        if missing:
            c.problem(p + ("response",), "operation-field", f"operation {name!r} must map {', '.join(missing)}")
        accepts = tuple(entry.get("accepts") or ())
        unknown = [a for a in accepts if a not in OPERATION_OPTIONS.get(name, ())]
        if unknown:
            c.problem(p + ("accepts",), "operation-field", f"operation {name!r} has no option(s) {', '.join(unknown)} (it has: {', '.join(OPERATION_OPTIONS.get(name, ())) or 'none'})")
        max_batch = entry.get("max_batch")
        if isinstance(max_batch, str):
            max_batch = c.tree(max_batch, p + ("max_batch",))
        out[name] = OperationSpec(
            name=name,
            method=entry.get("method", "POST"),
            base_url=c.url(entry["base_url"], "base_url", p + ("base_url",)) if entry.get("base_url") else None,
            path=c.url(entry.get("path", ""), "path", p + ("path",)),
            query=tuple((k, c.tree(v, p + ("query", k))) for k, v in (entry.get("query") or {}).items()),
            body=c.tree(entry["body"], p + ("body",)) if entry.get("body") is not None else None,
            headers=tuple((k, c.tree(v, p + ("headers", k))) for k, v in (entry.get("headers") or {}).items()),
            accepts=frozenset(accepts),
            max_batch=max_batch,
            response=MappingProxyType(response),
            docs=entry.get("docs"),
            id_prefix=entry.get("id_prefix"),
            item=c.tree(entry["item"], p + ("item",)) if entry.get("item") is not None else None,
        )
    return MappingProxyType(out)
