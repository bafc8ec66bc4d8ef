"""A client-facing API as data: the ``serve:`` section of a provider spec, compiled and applied.

A spec that describes an API specwire can *speak* (not only call) declares, besides its request
and response sections, how ``specwire serve`` reads that API's requests and writes its replies
(providers.d/openai.yaml has the reference example; docs/ARCHITECTURE.md section 4 lists the keys)::

    serve:
      endpoints:
        NAME:
          operation: chat | models | embeddings | count_tokens
          path: /v1/...                      the HTTP path the gateway mounts
          request:                           (chat, embeddings, count_tokens) the wire request → a unified call
            like: ENDPOINT                   start from that endpoint's request section (this
                                             one's keys win; ``fields`` may be a list of names
                                             picking that endpoint's fields)
            model: FIELD                     the field naming the model
            messages: FIELD                  (chat, count_tokens) the field holding the messages
            system: …, items: …, blocks: …   (chat, count_tokens) how to read messages that are not in
                                             specwire's own (OpenAI Chat) shape: :mod:`specwire.gateway.inbound`
            inputs: FIELD                    (embeddings) the field holding the text or texts
            fields:                          every other field it takes (any other: 400)
              FIELD: {option: NAME | call: stream | include_usage | encoding, value: EXPR,
                      each: TREE, set: {OPTION: EXPR}, unless: FIELD, refuse: EXPR, message: TEXT}
          reply_id: TREE                     the reply's id (over request_id; default chatcmpl-…)
          response: TREE                     the reply (chat: over id, created, model, text,
                                             finish, finish_reason, tool_calls, parts, usage,
                                             request, error; models: over models;
                                             embeddings: over model, data, usage;
                                             count_tokens: over input_tokens)
          embedding: TREE                    (embeddings) each vector (over index, vector: the
                                             vector in the call's encoding, see ENCODINGS)
          tool_call: TREE                    each tool call (over call: id, name, arguments, index)
          parts: {PART_TYPE: TREE}           each part of the reply, in order, as ``parts`` (over
                                             part: the part's fields, index, id; a type without a
                                             tree is left out)
          usage: TREE                        the usage (over usage: the unified Usage fields)
          model: TREE                        (models) each entry (over name)
          finish_reasons: {RAW | UNIFIED: WIRE, default: WIRE}
          stream:                            server-sent events
            base: TREE                       merged under every JSON event
            events: {KIND: [{data: TREE | TEXT, event: EXPR, when: EXPR}]}
      error: TREE                            an error (over message, type, code, param, status)
      error_types: {KIND: TYPE, default: TYPE}

``KIND`` is ``start`` (once, before the first event) or a stream event type of
:mod:`specwire.types` (``text_delta``, ``tool_call_start``, ``finish``, ``error``…); besides the
tree's own variables, stream templates see ``event`` (the event's fields; an ``*_end`` event's
``part`` as a dict), ``tool_index`` (the tool call's position among the reply's tool calls),
``block_index`` (the part's position among the content blocks sent so far: a part gets the next
index with its first event that sends anything, so per-block start/delta/stop events of APIs
such as Anthropic's are numbered 0, 1, … without gaps), ``block_open`` (whether the part's block
has sent something already: a block whose start depends on the part, as Anthropic's
``redacted_thinking``, is opened by its first delta or its end event), ``item`` (an ``*_end`` event's part
rendered by its ``parts`` tree, as the final reply has it), ``sequence`` (the number of SSE events
sent before this one), ``include_usage``, ``finish``, ``finish_reason`` (the unified one),
``usage`` (at ``finish``: the reply's; at ``start``: what the upstream reported before the first
content, else none), ``error`` (the rendered error body), ``request`` (the request body) and
``response`` (the reply as ``response`` renders it: at ``start`` an empty one in progress, at
``finish`` and ``error`` the final one; only computed when a stream template reads it).  The
``start`` events go out with the first event that is not a ``response_start``, ``usage`` or
``warning`` without templates of its own.

A request field's ``value`` (an expression over ``value``) replaces the wire value; ``each`` (a
tree over ``item``) maps each entry of a list value (tools in another API's shape); ``set``
sets further options from the same field (each an expression over ``value``; ``omit`` or ``none``
sets nothing).  An option whose value comes out ``none``/``omit`` is not set.  The finish reason
of a reply is looked up by the provider's raw value first, then by the unified one.

Trees are compiled at load (:func:`specwire.render.compile_tree`,
the sandbox of the request templates); expressions (``value``, ``refuse``, ``when``) are Jinja2
expressions.  Pure: no I/O besides reading the spec file (:func:`serve_sections`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import ConfigError
from ..render import OMIT, TemplateFailure, compile_expression, compile_tree, template_variables
from ..types import ErrorEvent, Finish, Response, StreamEvent, ToolCallDelta, ToolCallStart, Usage, UsageUpdate
from .errors import GatewayError
from .inbound import INBOUND_KEYS, Inbound

__all__ = ["CALL_FIELDS", "ENCODINGS", "STREAM_KINDS", "ChatCall", "EmbedCall", "Endpoint", "EventWriter", "WireAPI", "serve_sections"]

#: The stream kinds a ``stream.events`` section may name: ``start`` and the stream event types.
STREAM_KINDS: tuple[str, ...] = (
    "start", "response_start", "text_start", "text_delta", "text_end", "reasoning_start", "reasoning_delta", "reasoning_end",
    "tool_call_start", "tool_call_delta", "tool_call_end", "usage", "warning", "finish", "error",
)
#: What a request field may set besides a unified option (``call:``).
CALL_FIELDS: tuple[str, ...] = ("stream", "include_usage", "encoding")
#: The endpoint operations the gateway serves.
OPERATIONS: tuple[str, ...] = ("chat", "models", "embeddings", "count_tokens")
#: The encodings of an embedding vector a ``call: encoding`` field may name: ``float`` (a list of
#: numbers) or ``float32le_base64`` (the vector as little-endian IEEE 754 float32, base64).
ENCODINGS: tuple[str, ...] = ("float", "float32le_base64")


@dataclass
class ChatCall:
    """A parsed chat request: ``model``, ``messages`` (as sent), ``options`` (unified call options),
    ``stream``, ``include_usage`` and ``request`` (the request body, for the reply's templates)."""

    model: str
    messages: Any
    options: dict[str, Any] = field(default_factory=dict)
    stream: bool = False
    include_usage: bool = False
    request: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class EmbedCall:
    """A parsed embeddings request: ``model``, ``inputs`` (the texts), ``options`` (the unified
    embed options, e.g. ``dimensions``) and ``encoding`` (one of :data:`ENCODINGS`)."""

    model: str
    inputs: list[str]
    options: dict[str, Any] = field(default_factory=dict)
    encoding: str = "float"


def encode_vector(vector: list[float], encoding: str) -> Any:
    """``vector`` in ``encoding`` (:data:`ENCODINGS`): the list itself, or its little-endian
    float32 bytes in base64 (how OpenAI sends ``encoding_format: base64``)."""
    if encoding == "float32le_base64":
        import base64
        import struct

        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector


def _tree(tree: Any, where: str) -> Any:
    return None if tree is None else compile_tree(tree, where)


def _render(tree: Any, ctx: Mapping[str, Any]) -> Any:
    try:
        value = tree.render(ctx)
    except TemplateFailure as exc:
        raise GatewayError(500, "server", f"the gateway's wire template failed: {exc}") from None
    return None if value is OMIT else value


@dataclass
class _Field:
    name: str
    option: str | None
    call: str | None
    value: Any
    unless: str | None
    refuse: Any
    message: str
    each: Any = None
    sets: dict[str, Any] = field(default_factory=dict)


@dataclass
class _SSE:
    data: Any
    event: Any
    when: Any


class Endpoint:
    """One compiled endpoint of a ``serve:`` section (see the module docstring)."""

    def __init__(self, name: str, data: Mapping[str, Any], api: WireAPI, siblings: Mapping[str, Any] | None = None) -> None:
        where = f"serve.endpoints.{name}"
        self.name, self.api = name, api
        self.operation: str = data["operation"]
        if self.operation not in OPERATIONS:
            raise ConfigError(f"{where}.operation: {self.operation!r} is not one of {', '.join(OPERATIONS)}")
        self.path: str = data["path"]
        request = _request(data.get("request") or {}, siblings or {}, where)
        self.model_field: str = request.get("model", "model")
        self.messages_field: str = request.get("messages", "messages")
        self.inputs_field: str = request.get("inputs", "input")
        self.fields = {
            wire: _Field(wire, spec.get("option"), spec.get("call"),
                         compile_expression(spec["value"], f"{where}.request.fields.{wire}.value") if "value" in spec else None,
                         spec.get("unless"),
                         compile_expression(spec["refuse"], f"{where}.request.fields.{wire}.refuse") if "refuse" in spec else None,
                         spec.get("message", f"{wire}: this value is not supported here"),
                         _tree(spec.get("each"), f"{where}.request.fields.{wire}.each"),
                         {name: compile_expression(expr, f"{where}.request.fields.{wire}.set.{name}") for name, expr in (spec.get("set") or {}).items()})
            for wire, spec in (request.get("fields") or {}).items()
        }
        self.inbound = Inbound(request, f"{where}.request") if any(k in request for k in INBOUND_KEYS) else None
        self.reply_id = _tree(data.get("reply_id", "chatcmpl-{{ request_id }}"), f"{where}.reply_id")
        self.parts = {kind: compile_tree(tree, f"{where}.parts.{kind}") for kind, tree in (data.get("parts") or {}).items()}
        self.response = _tree(data.get("response"), f"{where}.response")
        self.tool_call = _tree(data.get("tool_call"), f"{where}.tool_call")
        self.usage = _tree(data.get("usage"), f"{where}.usage")
        self.model = _tree(data.get("model"), f"{where}.model")
        self.embedding = _tree(data.get("embedding"), f"{where}.embedding")
        self.finish_reasons: Mapping[str, str] = data.get("finish_reasons") or {}
        stream = data.get("stream") or {}
        self.stream_base = _tree(stream.get("base"), f"{where}.stream.base")
        self.stream_events: dict[str, list[_SSE]] = {
            kind: [_SSE(compile_tree(e["data"], f"{where}.stream.events.{kind}[{i}].data"),
                        compile_expression(e["event"], f"{where}.stream.events.{kind}[{i}].event") if "event" in e else None,
                        compile_expression(e["when"], f"{where}.stream.events.{kind}[{i}].when") if "when" in e else None)
                   for i, e in enumerate(entries)]
            for kind, entries in (stream.get("events") or {}).items()
        }
        # the stream's `response` (the reply rendered at start, finish, error) only when a template reads it
        self.stream_response = self.response is not None and any(
            "response" in template_variables(e.get("data")) for entries in (stream.get("events") or {}).values() for e in entries)

    # ------------------------------------------------------------------ in
    def _model_and_fields(self, body: Any) -> tuple[dict[str, Any], str]:
        """The request's fields (``null`` ones left out) without the model, and the model; 400
        for a body that is not an object or names no model."""
        if not isinstance(body, dict):
            raise GatewayError(400, "invalid_request", "the request body must be a JSON object")
        given = {k: v for k, v in body.items() if v is not None}
        model = given.pop(self.model_field, None)
        if not isinstance(model, str) or not model:
            raise GatewayError(400, "invalid_request", f"you must provide a {self.model_field} parameter", param=self.model_field)
        return given, model

    def parse(self, body: Any) -> ChatCall:
        """A :class:`ChatCall` from a decoded request body (``null`` fields count as absent).
        Raises :class:`GatewayError` (400) naming the field at fault."""
        given, model = self._model_and_fields(body)
        messages = given.pop(self.messages_field, None)
        if self.inbound is not None:
            system = {name: given.pop(name, None) for name in self.inbound.wire_fields}
            messages = self.inbound.messages(messages, self.messages_field, *system.values())
        elif not isinstance(messages, list) or not messages:
            raise GatewayError(400, "invalid_request", f"{self.messages_field} must be a non-empty array", param=self.messages_field)
        call = ChatCall(model, messages, request=body)
        self._apply(given, call)
        call.include_usage = call.include_usage and call.stream
        return call

    def parse_embeddings(self, body: Any) -> EmbedCall:
        """An :class:`EmbedCall` from a decoded embeddings request body.  The inputs must be a
        non-empty string or a non-empty list of them (token arrays are refused).  Raises
        :class:`GatewayError` (400) naming the field at fault."""
        given, model = self._model_and_fields(body)
        inputs = given.pop(self.inputs_field, None)
        texts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
            raise GatewayError(400, "invalid_request", f"{self.inputs_field} must be a non-empty string or a non-empty array of "
                               "non-empty strings (token arrays are not supported here)", param=self.inputs_field)
        call = EmbedCall(model, texts)
        self._apply(given, call)
        if call.encoding not in ENCODINGS:
            raise GatewayError(500, "server", f"the gateway's wire spec names an unknown encoding {call.encoding!r}")
        return call

    def _apply(self, given: Mapping[str, Any], call: ChatCall | EmbedCall) -> None:
        """Apply the request ``fields`` to ``call``; 400 for a field the endpoint does not take."""
        unknown = sorted(k for k in given if k not in self.fields)
        if unknown:
            raise GatewayError(400, "invalid_request", f"unrecognized request argument supplied: {unknown[0]}", param=unknown[0])
        for wire, value in given.items():
            spec = self.fields[wire]
            if spec.unless is not None and spec.unless in given:
                continue
            if spec.refuse is not None and _expr(spec.refuse, {"value": value}, wire):
                raise GatewayError(400, "invalid_request", spec.message, param=wire)
            for name, expr in spec.sets.items():
                if (extra := _expr(expr, {"value": value}, wire)) is not None:
                    call.options[name] = extra
            if spec.value is not None:
                value = _expr(spec.value, {"value": value}, wire)
            if spec.each is not None:
                if not isinstance(value, list):
                    raise GatewayError(400, "invalid_request", f"{wire}: expected an array", param=wire)
                value = [_each(spec.each, item, f"{wire}[{i}]") for i, item in enumerate(value)]
            if spec.option is not None and value is not None:
                call.options[spec.option] = value
            elif spec.call == "stream" and isinstance(call, ChatCall):
                call.stream = bool(value)
            elif spec.call == "include_usage" and isinstance(call, ChatCall):
                call.include_usage = bool(value)
            elif spec.call == "encoding" and isinstance(call, EmbedCall):
                call.encoding = str(value)

    # ------------------------------------------------------------------ out
    def finish(self, response: Response) -> str:
        reason = response.finish_reason.unified if response.finish_reason is not None else "stop"
        raw = response.finish_reason.raw if response.finish_reason is not None else None
        if raw is not None and raw in self.finish_reasons and raw != "default":
            return str(self.finish_reasons[raw])
        return str(self.finish_reasons.get(reason, self.finish_reasons.get("default", reason)))

    def reply_id_for(self, request_id: str) -> str:
        """The id of the reply to the request ``request_id`` (``reply_id``)."""
        return str(_render(self.reply_id, {"request_id": request_id}))

    def usage_body(self, usage: Usage | None) -> Any:
        if usage is None or self.usage is None:
            return None
        return _render(self.usage, {"usage": usage.model_dump(exclude={"raw"})})

    def response_body(self, response: Response, *, model: str, reply_id: str, created: int | None = None,
                      request: Mapping[str, Any] | None = None, error: Any = None) -> Any:
        """The non-streamed reply to a chat call (``model``: the name the caller asked for;
        ``request``: the request body; ``error``: the rendered error body of a reply that failed)."""
        calls = [_render(self.tool_call, {"call": _call(c, i)}) for i, c in enumerate(response.tool_calls)] if self.tool_call is not None else []
        reason = response.finish_reason.unified if response.finish_reason is not None else None
        ctx = {"id": reply_id, "created": created if created is not None else int(time.time()), "model": model, "text": response.text,
               "finish": self.finish(response), "finish_reason": reason, "tool_calls": calls, "usage": self.usage_body(response.usage),
               "parts": self.parts_body(response, reply_id), "request": request or {}, "error": error}
        return _render(self.response, ctx)

    def embeddings_body(self, response: Any, *, model: str, encoding: str) -> Any:
        """The reply to an embeddings call (``response``: an :class:`~specwire.EmbeddingResponse`;
        ``model``: the name the caller asked for; ``encoding``: one of :data:`ENCODINGS`)."""
        data = [_render(self.embedding, {"index": i, "vector": encode_vector(v, encoding)}) if self.embedding is not None else v
                for i, v in enumerate(response.vectors)]
        return _render(self.response, {"model": model, "data": data, "usage": self.usage_body(response.usage)})

    def parts_body(self, response: Response, reply_id: str = "") -> list[Any]:
        """The reply's parts, in order, each rendered by its ``parts`` tree (no tree: left out)."""
        out = []
        for index, part in enumerate(response.parts):
            if (body := self.part_body(part, index, reply_id)) is not None:
                out.append(body)
        return out

    def part_body(self, part: Any, index: int, reply_id: str) -> Any:
        """One part (the ``index``-th of the reply ``reply_id``) by its ``parts`` tree; ``None`` without one."""
        tree = self.parts.get(part.type)
        return None if tree is None else _render(tree, {"part": part.model_dump(), "index": index, "id": reply_id})


    def count_body(self, input_tokens: int) -> Any:
        """The reply to a count_tokens call."""
        return _render(self.response, {"input_tokens": input_tokens})

    def models_body(self, names: list[str]) -> Any:
        """The reply to a models call: ``names`` rendered by ``model`` into ``response``."""
        models = [_render(self.model, {"name": n}) for n in names] if self.model is not None else names
        return _render(self.response, {"models": models})


def _request(request: Mapping[str, Any], siblings: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """An endpoint's request section with its ``like:`` resolved."""
    like = request.get("like")
    if like is None:
        return request
    base = (siblings.get(like) or {}).get("request") if isinstance(siblings.get(like), Mapping) else None
    if not isinstance(base, Mapping) or "like" in base:
        raise ConfigError(f"{where}.request.like: {like!r} names no endpoint of this section with a request of its own")
    merged = {**base, **{k: v for k, v in request.items() if k != "like"}}
    picked = request.get("fields")
    if isinstance(picked, list):
        known = base.get("fields") or {}
        missing = [f for f in picked if f not in known]
        if missing:
            raise ConfigError(f"{where}.request.fields: {missing[0]!r} is not a field of the endpoint {like!r}")
        merged["fields"] = {f: known[f] for f in picked}
    return merged


def _call(part: Any, index: int) -> dict[str, Any]:
    arguments = part.arguments_text if part.arguments_text is not None else json.dumps(part.arguments if part.arguments is not None else {}, ensure_ascii=False)
    return {"id": part.tool_call_id, "name": part.tool_name, "arguments": arguments, "index": index}


def _each(tree: Any, item: Any, param: str) -> Any:
    try:
        value = tree.render({"item": item})
    except TemplateFailure:  # an entry the tree cannot read: the caller's request is at fault
        raise GatewayError(400, "invalid_request", f"{param}: a malformed entry", param=param) from None
    return None if value is OMIT else value


def _expr(expr: Any, ctx: Mapping[str, Any], param: str | None = None) -> Any:
    try:
        value = expr.render(ctx)
    except TemplateFailure:  # a value the expression cannot take: the caller's request is at fault
        raise GatewayError(400, "invalid_request", f"{param or 'a request field'}: a value of the wrong type", param=param) from None
    return None if value is OMIT else value


_EARLY = frozenset({"response_start", "usage", "warning"})


class EventWriter:
    """Turns specwire stream events into the endpoint's server-sent events (bytes)."""

    def __init__(self, endpoint: Endpoint, *, model: str, reply_id: str, include_usage: bool, created: int | None = None,
                 request: Mapping[str, Any] | None = None) -> None:
        self.endpoint = endpoint
        self.ctx: dict[str, Any] = {"id": reply_id, "model": model, "include_usage": include_usage,
                                    "created": created if created is not None else int(time.time()), "request": request or {}}
        self._started = False
        self._tools: dict[int, int] = {}  # part index -> tool call index
        self._blocks: dict[int, int] = {}  # part index -> content block index (once it sent something)
        self._sequence = 0  # SSE events sent so far
        self._early_usage: Any = None  # the usage reported before the start events went out

    def _response(self, response: Response, error: Any = None) -> Any:
        """``response`` rendered as the endpoint's reply (the stream's ``response``)."""
        c = self.ctx
        return self.endpoint.response_body(response, model=c["model"], reply_id=c["id"], created=c["created"], request=c["request"], error=error)

    def _emit(self, kind: str, ctx: Mapping[str, Any]) -> bytes:
        out = b""
        for sse in self.endpoint.stream_events.get(kind, ()):
            if sse.when is not None and not _expr(sse.when, ctx):
                continue
            data = _render(sse.data, {**ctx, "sequence": self._sequence})
            self._sequence += 1
            if isinstance(data, dict) and self.endpoint.stream_base is not None:
                data = {**(_render(self.endpoint.stream_base, ctx) or {}), **data}
            text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            name = _expr(sse.event, ctx) if sse.event is not None else None
            out += (f"event: {name}\n" if name else "").encode() + b"".join(b"data: " + line.encode() + b"\n" for line in text.split("\n")) + b"\n"
        return out

    def start(self) -> bytes:
        """The ``start`` events; sent once."""
        if self._started:
            return b""
        self._started = True
        ctx: dict[str, Any] = {**self.ctx, "event": {}, "usage": self._early_usage}
        if self.endpoint.stream_response:
            ctx["response"] = self._response(Response(provider="", model=self.ctx["model"]))
        return self._emit("start", ctx)

    def event(self, event: StreamEvent) -> bytes:
        """The bytes (possibly none) for one event."""
        if not self._started and event.type in _EARLY:  # before any content: the start events may still say it
            if isinstance(event, UsageUpdate):
                self._early_usage = self.endpoint.usage_body(event.usage)
            if event.type not in self.endpoint.stream_events:
                return b""
        out = self.start()
        ctx: dict[str, Any] = {**self.ctx, "event": {f.name: getattr(event, f.name) for f in fields(event) if f.name not in ("response", "error", "part")}}
        part = getattr(event, "part", None)
        if part is not None:
            ctx["event"]["part"] = part.model_dump()
        if isinstance(event, (ToolCallStart, ToolCallDelta)):
            ctx["tool_index"] = self._tools.setdefault(event.index, len(self._tools))
        index = getattr(event, "index", None)
        if isinstance(index, int):
            if part is not None and self.endpoint.parts:
                ctx["item"] = self.endpoint.part_body(part, index, self.ctx["id"])
            block = self._blocks.get(index)
            ctx["block_index"] = len(self._blocks) if block is None else block
            ctx["block_open"] = block is not None
            sent = self._emit(event.type, ctx)
            if sent and block is None:
                self._blocks[index] = ctx["block_index"]
            return out + sent
        if isinstance(event, Finish):
            reason = event.response.finish_reason
            ctx.update(finish=self.endpoint.finish(event.response), usage=self.endpoint.usage_body(event.response.usage),
                       finish_reason=reason.unified if reason is not None else None)
            if self.endpoint.stream_response:
                ctx["response"] = self._response(event.response)
        if isinstance(event, ErrorEvent):
            from .errors import classify

            ctx["error"] = self.endpoint.api.error_body(classify(event.error))
            if self.endpoint.stream_response:
                ctx["response"] = self._response(event.response, ctx["error"])
        return out + self._emit(event.type, ctx)


class WireAPI:
    """A compiled ``serve:`` section (``name``: its spec's provider id): its :class:`Endpoint`
    objects and its error shape.  Raises :class:`~specwire.errors.ConfigError` for a section that
    does not compile."""

    def __init__(self, section: Mapping[str, Any], *, name: str = "serve") -> None:
        self.name = name
        try:
            self.error = compile_tree(section["error"], "serve.error")
            self.error_types: Mapping[str, str] = section.get("error_types") or {}
            endpoints = section.get("endpoints") or {}
            self.endpoints = [Endpoint(n, d, self, endpoints) for n, d in endpoints.items()]
        except TemplateFailure as exc:
            raise ConfigError(f"{name}: {exc}") from None
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{name}: the serve: section is malformed ({type(exc).__name__}: {exc}); validate-spec says where") from None

    def error_body(self, error: GatewayError) -> Any:
        """The API's error body for ``error``."""
        kind_type = self.error_types.get(error.kind, self.error_types.get("default", error.kind))
        return _render(self.error, {"message": error.message, "type": kind_type, "code": error.code, "param": error.param, "status": error.status})


def serve_sections(registry: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """``(provider, serve section)`` of every spec file on ``registry``'s search path that has one
    (read from the spec's own file: the section is not inherited under ``extends``)."""
    from ..spec.loader import load_file

    out = []
    for provider in registry.providers():
        _, path = registry.origin(provider)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if "\nserve:" not in text:  # most specs have none: skip the parse
            continue
        loaded = load_file(path)
        if isinstance(loaded.data, dict) and isinstance(loaded.data.get("serve"), dict):
            out.append((provider, loaded.data["serve"]))
    return out
