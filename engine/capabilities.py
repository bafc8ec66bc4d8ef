"""What a call asks of the model, checked against its catalog entry's ``capabilities``.  Pure.

A catalog entry may declare ``capabilities: {vision, reasoning, tools, json_schema, …}``
(docs/ARCHITECTURE.md section 4).  A call that sends an image to a model whose entry says
``vision: false``, a reasoning effort or budget to one with ``reasoning: false``, tools to one with
``tools: false``, or a JSON schema (``response_format``) to one with ``json_schema: false`` gets a
:class:`~specwire.types.CallWarning` (kind ``unsupported-capability``) and is sent as asked; with
``strict_capabilities=True`` it raises :class:`~specwire.errors.CapabilityError` before any I/O.
The warning's ``param`` names the option that sends it (``messages`` for an image, ``tools``,
``reasoning``, ``response_format``).
A capability the entry does not declare (absent or ``null``), or a model not in the catalog, is
never a warning.  When the spec emulates a JSON schema with a forced tool (a ``response_format``
case with ``output_tool``), the schema needs ``tools`` instead.
"""

from __future__ import annotations

from .errors import CapabilityError
from .spec.compile import ModelInfo
from .types import CallWarning, ImagePart, Request

__all__ = ["check_capabilities"]


def _needs(request: Request, *, schema_by_tool: bool) -> list[tuple[str, str, str | None]]:
    """``(capability, what the call sends, the generic option that sends it)`` for each
    capability the call relies on."""
    needs: list[tuple[str, str, str | None]] = []
    if any(isinstance(p, ImagePart) for m in request.messages for p in m.parts):
        needs.append(("vision", "an image", "messages"))
    r = request.reasoning
    if r is not None and r.effort != "none" and r.budget_tokens != 0:
        needs.append(("reasoning", "a reasoning effort" if r.effort else "a reasoning budget", "reasoning"))
    if request.tools:
        needs.append(("tools", "tools", "tools"))
    rf = request.response_format
    if rf is not None and rf.type == "json_schema":
        needs.append(("tools" if schema_by_tool else "json_schema", "a JSON schema (response_format)", "response_format"))
    return needs


def check_capabilities(
    request: Request, info: ModelInfo | None, *, model: str, schema_by_tool: bool = False, strict: bool = False, dropped: frozenset[str] = frozenset(),
) -> list[CallWarning]:
    """The warnings for what ``request`` sends that ``info`` (the model's catalog entry, ``None``
    when the model is not in the catalog) says the model cannot take.  ``schema_by_tool``: the
    spec sends the JSON schema as a forced tool.  ``dropped``: generic options the spec already
    refused (they have their own warning, so no second one).  Raises :class:`CapabilityError` for
    the first one when ``strict`` (dropped or not)."""
    if info is None or not info.capabilities:
        return []
    out: list[CallWarning] = []
    seen: set[str] = set()
    for capability, what, option in _needs(request, schema_by_tool=schema_by_tool):
        if info.capabilities.get(capability) is not False or capability in seen:
            continue
        seen.add(capability)
        if option in dropped and not strict:
            continue
        detail = f"the catalog entry of {model} says it has no {capability!r} capability, but the call sends {what}"
        if strict:
            raise CapabilityError(detail + " (strict_capabilities is set)")
        out.append(CallWarning(kind="unsupported-capability", param=option, detail=detail + "; it was sent anyway"))
    return out
