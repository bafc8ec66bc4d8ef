"""Generic call options → wire fields, by a spec's ``params`` section.  Pure.

For each generic option, in :data:`~specwire.vocabulary.GENERIC_PARAMS` order, the spec gives one case
or a list of cases (the first whose Jinja ``when`` holds applies).  A case can:

* ``to: path`` (+ optional ``value:`` template) or ``set: {path: template}``: write wire fields
  (dotted paths such as ``generationConfig.topK``; dict values merge into existing dicts);
* ``set_default: {path: template}``: write only where nothing is yet;
* ``append: {path: template}``: add list items to the list at ``path`` (created when absent), so
  two options can share one list (the Responses API's ``include``, Gemini's ``tools``);
* ``clamp: [lo, hi]`` and ``max_items: n``: bound the value first;
* ``default`` / ``required``: supply the option when the caller did not;
* ``unsupported: reason``: drop the option;
* ``error: message``: refuse the call (:class:`RequestBuildError`), for a value the provider
  accepts but the engine cannot return (``n`` > 1 while streaming);
* ``warn: text``: note an adjustment;
* ``strict_schema: rules``: rewrite ``value.schema`` by a named rule set of
  :data:`specwire.structured.SCHEMA_RULES` before the case renders (structured output);
* ``output_tool: template``: the structured reply is the input of the call of this (forced) tool,
  returned as an ``("output_tool", "", name)`` operation, not a wire field.

Every clamp, truncation, drop or adjustment becomes a :class:`~specwire.types.CallWarning` (kinds:
:data:`specwire.vocabulary.WARNING_KINDS`), never
silent (docs/ARCHITECTURE.md section 9.5).  An option the spec does not map at all is dropped with a warning too.
A catalog entry's ``params`` override the spec's for that model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import RequestBuildError
from .render import OMIT, TemplateFailure
from .spec.compile import CompiledSpec, ModelInfo, ParamCase
from .structured import strict_schema
from .types import CallWarning
from .vocabulary import GENERIC_PARAMS

__all__ = ["ParamOp", "apply_params"]

#: ``(mode, path, value)``; mode is ``set``, ``default`` or ``append`` (a wire field), or ``output_tool``
#: (``value`` names the forced tool whose call input is the structured reply).
ParamOp = tuple[str, str, Any]


def _cases(spec: CompiledSpec, info: ModelInfo | None, name: str) -> tuple[ParamCase, ...] | None:
    if info is not None and name in info.params:
        return info.params[name]
    return spec.params.get(name)


#: ``(name, cases, the first case with a default or ``required``)`` for every generic option, in
#: order, per (spec, catalog entry): both are immutable, so the lookups and scans are done once.
#: Keyed by identity; the value keeps both objects, so an id is not reused while it is cached.
_TABLES: dict[tuple[int, int], tuple[CompiledSpec, ModelInfo | None, tuple[tuple[str, tuple[ParamCase, ...] | None, ParamCase | None], ...]]] = {}
_MAX_TABLES = 512


def _table(spec: CompiledSpec, info: ModelInfo | None) -> tuple[tuple[str, tuple[ParamCase, ...] | None, ParamCase | None], ...]:
    key = (id(spec), id(info))
    hit = _TABLES.get(key)
    if hit is not None and hit[0] is spec and hit[1] is info:
        return hit[2]
    rows = []
    for name in GENERIC_PARAMS:
        cases = _cases(spec, info, name)
        rows.append((name, cases, next((c for c in cases if c.default is not None or c.required), None) if cases is not None else None))
    if len(_TABLES) >= _MAX_TABLES:
        _TABLES.clear()
    table = tuple(rows)
    _TABLES[key] = (spec, info, table)
    return table


def _pick(spec: CompiledSpec, cases: tuple[ParamCase, ...], ctx: dict[str, Any], name: str) -> ParamCase | None:
    for case in cases:
        if case.when is None:
            return case
        try:
            if case.when.render(ctx):
                return case
        except TemplateFailure as exc:
            raise spec.render_failure(exc, f"params.{name}: {exc}") from None
    return None


def call_context(values: Mapping[str, Any], model_info: ModelInfo | None) -> dict[str, Any]:
    """The template values a call's params and its request body share, built once per call:
    ``params`` (every generic option, ``None`` when unset) and ``model_info`` (the catalog entry as
    plain data, or ``None``).  Templates only read them (the sandbox is immutable)."""
    return {"params": {name: values.get(name) for name in GENERIC_PARAMS}, "model_info": model_info.as_dict() if model_info is not None else None}


def apply_params(
    spec: CompiledSpec,
    values: dict[str, Any],
    *,
    model: str,
    model_info: ModelInfo | None,
    stream: bool,
    settings: dict[str, Any],
    tools: list[str] | None = None,
    shared: Mapping[str, Any] | None = None,
) -> tuple[list[ParamOp], list[CallWarning]]:
    """The wire operations and warnings for the caller's generic option ``values`` (unset
    options absent).  ``tools`` are the names of the call's tools (templates see them as ``tools``).
    ``shared``: the call's :func:`call_context`, when the caller built it already (the request body
    reuses it).  Raises :class:`RequestBuildError` for a required option with no value, a case with ``error`` or a template that fails, :class:`SpecError` for one that hits a sandbox cap."""
    ops: list[ParamOp] = []
    warnings: list[CallWarning] = []
    base = {**(shared if shared is not None else call_context(values, model_info)), "model": model, "stream": stream, "settings": settings, "tools": list(tools or ())}
    for name, cases, with_default in _table(spec, model_info):
        value = values.get(name)
        if cases is None:
            if value is not None:
                warnings.append(CallWarning(kind="unsupported-param", param=name, detail=f"the {spec.provider} spec does not map {name!r}; it was not sent"))
            continue
        if value is None:
            if with_default is None:
                continue
            if with_default.default is None:
                raise RequestBuildError(f"{spec.provider} requires {name!r}; pass {name}=…")
            try:
                value = with_default.default.render({**base, "value": None})
            except TemplateFailure as exc:
                raise spec.render_failure(exc, f"params.{name}.default: {exc}") from None
            if value is OMIT or value is None:
                continue
        if isinstance(value, float) and not math.isfinite(value):
            raise RequestBuildError(f"{name} must be a finite number, got {value}")
        ctx = {**base, "value": value}
        case = _pick(spec, cases, ctx, name)
        if case is None:
            warnings.append(CallWarning(kind="unsupported-param", param=name, detail=f"no case of the {spec.provider} spec accepts this {name!r}; it was not sent"))
            continue
        if case.error is not None:
            raise RequestBuildError(f"{spec.provider}: {case.error}")
        if case.unsupported is not None:
            warnings.append(CallWarning(kind="unsupported-param", param=name, detail=case.unsupported))
            continue
        if case.clamp is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            lo, hi = case.clamp
            bounded = min(max(value, lo), hi)
            if bounded != value:
                warnings.append(CallWarning(kind="clamped-param", param=name, detail=f"{value} is outside the provider's range [{lo:g}, {hi:g}]; sent {bounded:g}"))
                value = float(bounded) if isinstance(value, float) or bounded != int(bounded) else int(bounded)  # an int option stays an int
                ctx = {**base, "value": value}
        if case.max_items is not None and isinstance(value, list) and len(value) > case.max_items:
            warnings.append(CallWarning(kind="truncated-param", param=name, detail=f"the provider takes at most {case.max_items} items; sent the first {case.max_items} of {len(value)}"))
            value = value[: case.max_items]
            ctx = {**base, "value": value}
        if case.warn:
            warnings.append(CallWarning(kind="adjusted-param", param=name, detail=case.warn))
        if case.strict_schema is not None and isinstance(value, dict) and isinstance(value.get("schema"), dict):
            value = {**value, "schema": strict_schema(value["schema"], case.strict_schema)}
            ctx = {**base, "value": value}
        try:
            if case.output_tool is not None:
                tool = case.output_tool.render(ctx)
                if isinstance(tool, str) and tool:
                    ops.append(("output_tool", "", tool))
            for path, tree in case.sets:
                rendered = tree.render(ctx)
                if rendered is not OMIT:
                    ops.append(("set", path, rendered))
            for path, tree in case.set_defaults:
                rendered = tree.render(ctx)
                if rendered is not OMIT:
                    ops.append(("default", path, rendered))
            for path, tree in case.appends:
                rendered = tree.render(ctx)
                if rendered is not OMIT:
                    ops.append(("append", path, rendered))
        except TemplateFailure as exc:
            raise spec.render_failure(exc, f"params.{name}: {exc}") from None
    return ops, warnings
