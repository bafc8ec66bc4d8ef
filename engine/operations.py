"""Requests besides chat, pure: an operation's :class:`~specwire.request.RequestPlan` from its spec
entry, and its response body → output fields (docs/ARCHITECTURE.md section 4, "Operations").

The operation's templates see ``model``, ``settings``, ``model_info``, ``params`` (the
operation's options), ``omit``, and per operation: ``inputs`` (embed: the texts of this batch) and
``items`` (embed: the operation's ``item`` tree rendered for each input, with ``input``/``index``),
``messages``/``system_parts``/``system_text``/``tools`` rendered by the spec's chat request rules
(count_tokens), ``page`` (list_models: the cursor of the next page, ``None`` first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ResponseParseError, SpecError, SpecwireError, UnsupportedOperationError
from .render import OMIT, TemplateFailure
from .request import RequestPlan, check_extra_headers, check_model, finish_plan, render_headers, render_messages, render_tools
from .spec.compile import CompiledSpec
from .spec.operations import ITEM_FIELDS, OPERATION_OPTIONS, OPERATIONS, OperationSpec
from .types import CallWarning, Request

__all__ = ["batch_size", "build_operation", "chat_context", "operation_of", "parse_operation"]


def operation_of(spec: CompiledSpec, name: str) -> OperationSpec:
    """The spec's ``name`` operation.  Raises :class:`~specwire.UnsupportedOperationError` naming
    the providers' operation if the spec declares none."""
    op = spec.operations.get(name)
    if op is None:
        have = ", ".join(sorted(spec.operations)) or "chat only"
        raise UnsupportedOperationError(f"{spec.provider} has no {name!r} operation in its spec (it has: {have})")
    return op


def chat_context(spec: CompiledSpec, request: Request, model: str) -> dict[str, Any]:
    """``messages``, ``system_parts``, ``system_text`` and ``tools`` rendered by the spec's chat
    request rules (what a count_tokens body sends)."""
    messages, system_parts = render_messages(spec, request.messages, model)
    return {
        "messages": messages,
        "system_parts": system_parts,
        "system_text": spec.request.system_join.join(p.get("text", "") for p in system_parts if isinstance(p, dict)) if system_parts else None,
        "tools": render_tools(spec, request, model),
    }


def build_operation(
    spec: CompiledSpec,
    op: OperationSpec,
    *,
    model: str,
    settings: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    base_url: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    warnings: list[CallWarning] | None = None,
) -> RequestPlan:
    """The HTTP request of operation ``op`` for ``model``.  ``params``: the operation's options
    (those the spec does not ``accepts`` are dropped with an ``unsupported-param`` warning, ``None``
    values are left out); ``values``: the operation's own template values (``inputs``, ``page``,
    the chat context).  Raises :class:`RequestBuildError` (or :class:`SpecError` for a template
    that hit a sandbox cap) before any I/O."""
    check_model(model)
    given_headers = check_extra_headers(dict(extra_headers) if extra_headers else None)
    settings = dict(settings or {})
    all_warnings = list(warnings or ())
    kept: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if value is None:
            continue
        if name in op.accepts:
            kept[name] = value
        else:
            all_warnings.append(CallWarning(kind="unsupported-param", param=name, detail=f"{spec.provider} {op.name} does not take {name}; it was not sent"))
    info = spec.model_info(model)
    ctx: dict[str, Any] = {
        "model": model,
        "settings": settings,
        "model_info": info.as_dict() if info else None,
        "params": {name: kept.get(name) for name in _option_names(op)},
        "stream": False,  # the spec's headers may read it
        "omit": OMIT,
        **(values or {}),
    }
    try:
        if op.item is not None:
            ctx["items"] = [op.item.render({**ctx, "input": text, "index": i}) for i, text in enumerate(ctx.get("inputs") or ())]
        body = op.body.render(ctx) if op.body is not None else None
        if body is OMIT:
            body = {}
        path = op.path.render(ctx)
        query = {k: v for k, t in op.query if (v := t.render(ctx)) is not OMIT and v is not None}
        url_ctx = {"settings": settings, "model": model}
        root = base_url if base_url is not None else (op.base_url or spec.base_url).render(url_ctx)
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
        render_headers((*spec.headers, *op.headers), ctx, headers)
    except TemplateFailure as exc:
        raise spec.render_failure(exc, f"{spec.provider} {op.name}: {exc}") from None
    return finish_plan(op.method, str(root), str(path), query, headers, given_headers, body, all_warnings)


def batch_size(spec: CompiledSpec, op: OperationSpec, *, model: str, settings: Mapping[str, Any] | None = None) -> int | None:
    """The most inputs one request of ``op`` carries for ``model`` (``None``: no limit): the
    operation's ``max_batch``, an integer or a template of ``model``/``settings``/``model_info``.
    Raises :class:`~specwire.SpecError` when the template fails or gives no positive integer."""
    if op.max_batch is None or isinstance(op.max_batch, int):
        return op.max_batch
    info = spec.model_info(model)
    try:
        value = op.max_batch.render({"model": model, "settings": dict(settings or {}), "model_info": info.as_dict() if info else None, "omit": OMIT})
    except TemplateFailure as exc:
        raise spec.render_failure(exc, f"{spec.provider} {op.name}: max_batch: {exc}") from None
    if value is OMIT or value is None:
        return None
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if size < 1:
        file, line, col = spec.locate(("operations", op.name, "max_batch"))
        raise SpecError(f"{spec.provider} {op.name}: max_batch gave {value!r}, not a positive integer", file=file, line=line, col=col, rule="template")
    return size


def _option_names(op: OperationSpec) -> tuple[str, ...]:
    return OPERATION_OPTIONS.get(op.name, ())


def parse_operation(spec: CompiledSpec, op: OperationSpec, body: Any) -> dict[str, Any]:
    """The output fields of ``op`` from a parsed response ``body``.  For list_models the item
    fields (``id``, ``created``…) are evaluated on each item of ``models``: ``{"models": [{...}],
    "next_page": …}``.  Raises :class:`~specwire.ResponseParseError` when a required field is
    missing (a body of another shape)."""
    out: dict[str, Any] = {}
    try:
        for name, jp in op.response.items():
            if name not in ITEM_FIELDS:
                out[name] = jp.search(body)
        if "models" in out:
            items = out["models"] if isinstance(out["models"], list) else []
            out["models"] = [_item(op, item) for item in items]
    except SpecwireError:
        raise
    except Exception as exc:  # a JMESPath function applied to a value of another type
        raise ResponseParseError(f"{spec.provider} {op.name}: the response does not have the declared shape ({type(exc).__name__})") from None
    required = OPERATIONS[op.name][0]
    missing = [f for f in required if f not in ITEM_FIELDS and out.get(f) is None]
    if missing:
        raise ResponseParseError(f"{spec.provider} {op.name}: the response has no {', '.join(missing)}")
    return out


def _item(op: OperationSpec, item: Any) -> dict[str, Any]:
    out = {name: jp.search(item) for name, jp in op.response.items() if name in ITEM_FIELDS}
    model_id = out.get("id")
    if op.id_prefix and isinstance(model_id, str) and model_id.startswith(op.id_prefix):
        out["id"] = model_id[len(op.id_prefix):]
    return out
