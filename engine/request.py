"""Unified request → :class:`RequestPlan` (method, URL, headers, body).  Pure.

Order: catalog lookup → parameter policy (:mod:`specwire.params`) → messages and parts rendered by
the spec's templates → tool definitions → body template → stream additions → parameter fields →
``provider_options[<provider>]`` merged last, untouched.  Like botocore's serializer, the result is
plain data, easy to test and not tied to an HTTP library.

Message rendering: system/developer messages are hoisted (``system.placement: top``: their text
becomes ``system_parts``/``system_text``) or kept as messages; roles are renamed by ``roles``; each
content part goes through the first ``parts.<kind>`` rule whose ``when`` holds, which appends it to
the message (``value``), to a named list such as ``tool_calls`` (``into``), emits it as a message of
its own (``as_message``; the parts before it go out first as their own message, so the order of the
parts is kept), leaves it out (``drop``), or refuses it with a message (``error``).  A part
kind the spec has no rule for is an error, never dropped silently.  With ``merge_consecutive``,
adjacent wire messages of the same role are joined (their ``<key>`` lists concatenated).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from .binding import ConnectGuard
from .capabilities import check_capabilities
from .dicts import deep_merge, set_path
from .errors import RequestBuildError, UnsupportedOperationError
from .params import apply_params, call_context
from .redact import redact_headers, redact_url
from .render import OMIT, TemplateFailure
from .safejson import brief, problem, text_problem
from .spec.compile import CompiledSpec, PartRule
from .structured import OutputSpec
from .types import GENERIC_PARAMS, CallWarning, Message, ProviderPart, Request, TextPart, ToolCallPart

__all__ = ["MAX_RETRIES", "MAX_URL_CHARS", "RequestPlan", "build_request", "check_call_options", "check_extra_headers", "check_model", "credential_problem", "request_url"]

_AUDIO_FORMATS = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/flac": "flac", "audio/ogg": "ogg", "audio/webm": "webm", "audio/aac": "aac"}


@dataclass(frozen=True)
class RequestPlan:
    """The exact HTTP request, before auth: ``body`` is the JSON body as data (``None`` for none).
    ``guard``: for a request that carries a credential, what the transport checks on the address
    of each new connection (:class:`~specwire.binding.ConnectGuard`); ``None``: nothing.
    ``output``: what the reply is checked against (a ``json_schema`` response format;
    :class:`~specwire.structured.OutputSpec`), ``None`` for none."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any
    warnings: list[CallWarning] = field(default_factory=list)
    guard: ConnectGuard | None = None
    output: OutputSpec | None = None
    _encoded: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def content(self) -> bytes:
        """The body as UTF-8 JSON bytes (compact, non-ASCII kept), encoded once.  Raises
        :class:`RequestBuildError` naming the place in the body that JSON or UTF-8 cannot carry
        (:func:`specwire.safejson.problem`)."""
        if self._encoded is not None:
            return self._encoded
        if self.body is None:
            return b""
        try:
            encoded = json.dumps(self.body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
        except (ValueError, TypeError, RecursionError) as exc:  # UnicodeEncodeError is a ValueError
            reason = problem(self.body, "body") or f"body: {type(exc).__name__}"
            raise RequestBuildError(f"the request cannot be sent as JSON: {reason}") from None
        object.__setattr__(self, "_encoded", encoded)
        return encoded

    def derive(self, **changes: Any) -> RequestPlan:
        """A copy with ``changes`` (``dataclasses.replace``) that keeps the encoded body unless the
        body changed."""
        plan = replace(self, **changes)
        if "body" not in changes:
            object.__setattr__(plan, "_encoded", self._encoded)
        return plan

    def redacted(self, extra_secret_headers: tuple[str, ...] = ()) -> dict[str, Any]:
        """``{"method", "url", "headers", "body", "warnings"}`` with secrets masked."""
        return {
            "method": self.method,
            "url": redact_url(self.url),
            "headers": redact_headers(self.headers, extra_secret_headers),
            "body": self.body,
            "warnings": [w.model_dump() for w in self.warnings],
        }

    def __repr__(self) -> str:
        return f"RequestPlan(method={self.method!r}, url={redact_url(self.url)!r})"


def build_request(
    spec: CompiledSpec,
    request: Request,
    *,
    model: str,
    stream: bool = False,
    stream_mode: str | None = None,
    settings: dict[str, Any] | None = None,
    base_url: str | None = None,
    extra_headers: dict[str, str] | None = None,
    warnings: list[CallWarning] | None = None,
    strict_capabilities: bool = False,
) -> RequestPlan:
    """Render the HTTP request for ``request`` to ``model``.  Raises :class:`RequestBuildError`, or
    :class:`SpecError` when a template hits a sandbox cap (see ``CompiledSpec.render_failure``).
    Local problems that would only surface at send time (a control character in the model name or
    a header, a header value that is not ASCII text, a body JSON cannot carry) are refused here,
    before any I/O, naming the field; they are never retried.  What the call sends that the model's
    catalog entry says it cannot take is a warning, or with ``strict_capabilities`` a
    :class:`CapabilityError` (:mod:`specwire.capabilities`).  A spec without chat (``chat: false``)
    raises :class:`UnsupportedOperationError`."""
    _require_chat(spec)
    check_model(model)
    given_headers = check_extra_headers(extra_headers)
    settings = dict(settings or {})
    info = spec.model_info(model)
    all_warnings = list(warnings or ())
    values = request.generic_params()
    shared = call_context(values, info)
    ops, param_warnings = apply_params(spec, values, model=model, model_info=info, stream=stream, settings=settings, tools=[t.name for t in request.tools], shared=shared)
    all_warnings += param_warnings
    output_tool = next((v for mode, _, v in ops if mode == "output_tool"), None)
    ops = [op for op in ops if op[0] != "output_tool"]
    dropped = frozenset(w.param for w in param_warnings if w.kind == "unsupported-param" and w.param)
    all_warnings += check_capabilities(request, info, model=model, schema_by_tool=output_tool is not None, strict=strict_capabilities, dropped=dropped)
    rf = request.response_format
    output = OutputSpec(rf.output_type, output_tool) if rf is not None and rf.type == "json_schema" else None
    messages, system_parts = render_messages(spec, request.messages, model)
    tools = render_tools(spec, request, model)
    cfg = _stream_config(spec, stream, stream_mode)
    ctx = {
        "model": model,
        "stream": stream,
        "messages": messages,
        "system_parts": system_parts,
        "system_text": spec.request.system_join.join(p.get("text", "") for p in system_parts if isinstance(p, dict)) if system_parts else None,
        "tools": tools,
        "settings": settings,
        **shared,
        "omit": OMIT,
    }
    try:
        body = spec.request.body.render(ctx)
        if body is OMIT:
            body = {}
        if cfg is not None and cfg.body is not None:
            extra = cfg.body.render(ctx)
            if extra is not OMIT:
                body = deep_merge(body, extra)
        for mode, path, value in ops:
            body = set_path(body, path, value, only_if_absent=(mode == "default"), extend=(mode == "append"))
        options = request.provider_options.get(spec.provider)
        if options:
            body = deep_merge(body, options)
        root, path, query = _url_parts(spec, cfg, ctx, base_url)
        headers = {"content-type": "application/json", "accept": "text/event-stream" if cfg is not None and cfg.framing == "sse" else "application/json"}
        render_headers(spec.headers, ctx, headers)
    except TemplateFailure as exc:
        raise spec.render_failure(exc, f"{spec.provider}: {exc}") from None
    return finish_plan(spec.request.method, root, path, query, headers, given_headers, body, all_warnings, output=output)


def _require_chat(spec: CompiledSpec) -> None:
    if not spec.chat:
        have = ", ".join(sorted(spec.operations)) or "none"
        raise UnsupportedOperationError(f"{spec.provider} has no chat API (its spec declares chat: false; operations: {have})")


def _stream_config(spec: CompiledSpec, stream: bool, stream_mode: str | None) -> Any:
    try:
        return spec.stream_config(stream_mode) if stream else None
    except (KeyError, TypeError):  # TypeError: an unhashable stream_mode
        raise RequestBuildError(f"{spec.provider} has no stream mode {brief(stream_mode)}; modes: {', '.join(spec.stream_modes) or 'none'}") from None


def _url_parts(spec: CompiledSpec, cfg: Any, ctx: Mapping[str, Any], base_url: str | None) -> tuple[str, str, dict[str, Any]]:
    """The root, path and query of a chat request (``cfg``: the stream mode's config, ``None``
    for a non-streaming call).  Raises :class:`TemplateFailure`."""
    path_tree = cfg.path if cfg is not None and cfg.path is not None else spec.request.path
    path = path_tree.render(ctx)
    query = {k: v for k, t in spec.request.query if (v := t.render(ctx)) is not OMIT}
    if cfg is not None:
        query.update({k: v for k, t in cfg.query if (v := t.render(ctx)) is not OMIT})
    root = base_url if base_url is not None else spec.base_url.render({"settings": ctx["settings"], "model": ctx["model"]})
    return str(root), str(path), query


def request_url(spec: CompiledSpec, *, model: str, settings: dict[str, Any] | None = None, base_url: str | None = None,
                stream: bool = False, stream_mode: str | None = None) -> str:
    """The URL a chat request to ``model`` goes to, rendered from the spec's ``base_url``,
    ``request.path`` and ``request.query`` (the stream mode's, for ``stream``) without rendering
    any message or body.  Raises :class:`UnsupportedOperationError` for a spec without chat,
    :class:`RequestBuildError` for a bad model name, stream mode or URL."""
    _require_chat(spec)
    check_model(model)
    settings = dict(settings or {})
    cfg = _stream_config(spec, stream, stream_mode)
    info = spec.model_info(model)
    ctx = {"model": model, "stream": stream, "messages": [], "system_parts": [], "system_text": None, "tools": [], "settings": settings,
           "model_info": info.as_dict() if info else None, "params": dict.fromkeys(GENERIC_PARAMS), "omit": OMIT}
    try:
        root, path, query = _url_parts(spec, cfg, ctx, base_url)
    except TemplateFailure as exc:
        raise spec.render_failure(exc, f"{spec.provider}: {exc}") from None
    url = join_url(root, path, query)
    check_url(url)
    return url


def join_url(root: str, path: str, query: Mapping[str, Any]) -> str:
    """``root`` + ``path``, with ``query`` encoded after it."""
    url = root.rstrip("/") + path
    if query:
        url += ("&" if "?" in url else "?") + urlencode({k: query_value(v) for k, v in query.items()})
    return url


def render_headers(trees: Iterable[tuple[str, Any]], ctx: Mapping[str, Any], headers: dict[str, str]) -> None:
    """Render the spec's header templates into ``headers`` (lower-cased names; an omitted or
    ``None`` value sends no header).  Raises :class:`TemplateFailure`."""
    for name, tree in trees:
        value = tree.render(ctx)
        if value is not OMIT and value is not None:
            headers[name.lower()] = str(value)


def finish_plan(method: str, root: str, path: str, query: Mapping[str, Any], headers: dict[str, str], given_headers: Mapping[str, str], body: Any,
                warnings: list[CallWarning], *, output: OutputSpec | None = None) -> RequestPlan:
    """The :class:`RequestPlan` of a rendered request: the caller's headers over the spec's, the
    URL joined and its query encoded, both checked, and the body encoded once (refused, before any
    I/O, when JSON cannot carry it).  Raises :class:`RequestBuildError`."""
    for name, value in given_headers.items():
        headers[name.lower()] = value
    url = join_url(root, path, query)
    check_headers(headers, dict(given_headers))
    check_url(url)
    plan = RequestPlan(method, url, headers, body, warnings, output=output)
    plan.content()  # refuses (and caches) a body JSON cannot carry, before any I/O
    return plan


# ---------------------------------------------------------------------------- local checks
# RFC 9110 section 5.1 (field-name = token) and 5.5 (field-value: visible ASCII, space and tab;
# httpx encodes str values as ASCII), https://www.rfc-editor.org/rfc/rfc9110#section-5
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: The most retries a call may ask for (past a thousand, exponential backoff overflows a float).
MAX_RETRIES = 100
_BAD_VALUE = "the value must be printable ASCII text (no CR, LF or other control characters)"
#: The longest URL sent (httpx refuses longer ones with its own error).
MAX_URL_CHARS = 65_536


def check_model(model: str) -> None:
    """Refuse a model name with a control character (CR/LF splits a URL or a header line; no
    provider's model id has one).  Raises :class:`RequestBuildError`."""
    if not isinstance(model, str):  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
        raise RequestBuildError(f"the model name must be a string, got {type(model).__name__}")
    if _CONTROL.search(model):
        raise RequestBuildError(f"the model name {brief(model)} holds a control character (CR, LF, NUL…)")
    reason = text_problem(model)
    if reason:
        raise RequestBuildError(f"the model name {reason}")


def credential_problem(value: str) -> str | None:
    """Why a credential cannot go in an HTTP header (a control character such as the CR a Windows
    ``.env`` file leaves, or a lone surrogate), or ``None``.  Never quotes the value."""
    if _CONTROL.search(value):
        return "holds a control character (CR, LF, NUL…)"
    return "holds a lone surrogate" if text_problem(value) else None


def base_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a base URL (not a URL, a port out of range, not http(s), no host), or
    ``None``.  The same check for a per-call ``base_url``, ``Client(base_urls=...)`` and a base-URL
    environment variable."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http(s) URL with a host"
    return None


def check_call_options(options: Mapping[str, Any]) -> None:
    """Refuse call options of the wrong type before they reach the machinery that would choke on
    them: ``api_key`` and ``base_url`` (strings), ``settings`` (a dict), ``timeout`` (a positive,
    finite number of seconds, or a :class:`~specwire.retry.Timeouts`), ``max_retries`` (an int
    >= 0), ``raise_on_content_filter`` and ``strict_capabilities`` (bools).  ``None`` means "not given" for each.  Raises
    :class:`RequestBuildError` naming the option."""
    from .retry import Timeouts

    def bad(name: str, expected: str) -> RequestBuildError:
        return RequestBuildError(f"invalid call options: {name} must be {expected}, got {type(options[name]).__name__}")

    for name in ("api_key", "base_url"):
        if options.get(name) is not None and not isinstance(options[name], str):
            raise bad(name, "a string")
    reason = credential_problem(options.get("api_key") or "")
    if reason:
        raise RequestBuildError(f"invalid call options: api_key {reason}")
    if options.get("base_url"):
        problem = base_url_problem(options["base_url"])
        if problem:
            raise RequestBuildError(f"invalid call options: base_url {problem}")
    if options.get("settings") is not None and not isinstance(options["settings"], Mapping):
        raise bad("settings", "a dict")
    timeout = options.get("timeout")
    if timeout is not None and not isinstance(timeout, Timeouts):
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
            raise RequestBuildError(f"invalid call options: timeout must be a positive number of seconds or a Timeouts, got {brief(timeout)}")
    retries = options.get("max_retries")
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES):
        raise RequestBuildError(f"invalid call options: max_retries must be an int from 0 to {MAX_RETRIES}, got {brief(retries)}")
    for name in ("raise_on_content_filter", "strict_capabilities"):
        if options.get(name) is not None and not isinstance(options[name], bool):
            raise bad(name, "a bool")


def check_extra_headers(extra: Any) -> dict[str, str]:
    """``extra_headers`` as a dict of valid header names (RFC 9110 tokens) to printable ASCII
    strings (no CR/LF).  Raises :class:`RequestBuildError` naming the header."""
    if extra is None:
        return {}
    if not isinstance(extra, Mapping):
        raise RequestBuildError(f"extra_headers must be a dict of header name to string value, got {type(extra).__name__}")
    for name, value in extra.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise RequestBuildError(f"extra_headers: {brief(name)} is not a valid header name")
        if not isinstance(value, str):
            raise RequestBuildError(f"extra_headers[{name!r}] must be a string, got {type(value).__name__}")
        if not _FIELD_VALUE.fullmatch(value):
            raise RequestBuildError(f"extra_headers[{name!r}]: {_BAD_VALUE}")
    return dict(extra)


def check_headers(headers: dict[str, str], extra: dict[str, str]) -> None:
    given = {k.lower() for k in extra}
    for name, value in headers.items():
        where = f"extra_headers[{name!r}]" if name in given else f"header {name!r}"
        if not _TOKEN.fullmatch(name):
            raise RequestBuildError(f"{where}: {name!r} is not a valid header name")
        if not isinstance(value, str) or not _FIELD_VALUE.fullmatch(value):  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
            raise RequestBuildError(f"{where}: {_BAD_VALUE}")


def check_url(url: str) -> None:
    if len(url) > MAX_URL_CHARS:
        raise RequestBuildError(f"the request URL is longer than {MAX_URL_CHARS} characters (check base_url, settings and the model name)")
    if _CONTROL.search(url) or text_problem(url):
        raise RequestBuildError("the request URL holds a control character or a lone surrogate (check base_url and settings)")


def query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------------- tools
def render_tools(spec: CompiledSpec, request: Request, model: str) -> list[Any]:
    if not request.tools:
        return []
    if spec.request.tool is None:
        raise RequestBuildError(f"{spec.provider} does not take tool definitions")
    out = []
    for tool in request.tools:
        try:
            ctx = {"tool": tool.model_dump(exclude={"provider_metadata"}), "meta": _Meta(tool.provider_metadata.get(spec.metadata_key) or {}), "model": model, "omit": OMIT}
            out.append(spec.request.tool.render(ctx))
            after = spec.request.tool_after.render(ctx) if spec.request.tool_after is not None else OMIT
            if after is not OMIT and after is not None:
                out.append(after)
        except TemplateFailure as exc:
            raise spec.render_failure(exc, f"{spec.provider}: tool {tool.name!r}: {exc}") from None
    return out


# ---------------------------------------------------------------------------- messages
#: The ``into`` names of a compiled request's part rules (sorted), per request section: compiled
#: specs are immutable, so this is worked out once.  Keyed by identity; the value keeps the section.
_INTO_NAMES: dict[int, tuple[Any, list[str]]] = {}


def _into_names(req: Any) -> list[str]:
    hit = _INTO_NAMES.get(id(req))
    if hit is not None and hit[0] is req:
        return hit[1]
    names = sorted({r.into for rules in req.parts.values() for r in rules if r.into})
    if len(_INTO_NAMES) >= 512:
        _INTO_NAMES.clear()
    _INTO_NAMES[id(req)] = (req, names)
    return names


def render_messages(spec: CompiledSpec, messages: list[Message], model: str) -> tuple[list[Any], list[Any]]:
    req = spec.request
    into_names = _into_names(req)
    calls: dict[str, ToolCallPart] = {}
    wire: list[Any] = []
    system_texts: list[TextPart] = []  # kept as parts: their provider metadata (cache_control) renders too
    for msg in messages:
        if msg.role in ("system", "developer") and req.system_placement == "top":
            for part in msg.parts:
                if not isinstance(part, TextPart):
                    raise RequestBuildError(f"{spec.provider} takes only text in system messages, got a {part.type} part")
                system_texts.append(part)
            continue
        role = req.roles.get(msg.role, msg.role)
        template = req.message_by_role.get(msg.role, req.message)
        chunk: list[tuple[Any, str, Any]] = []  # (rendered part, kind, the part) of the turn so far
        collected: dict[str, list[Any]] = {}
        emitted = False
        for part in msg.parts:
            if isinstance(part, ToolCallPart) and part.tool_call_id:
                calls[part.tool_call_id] = part
            if isinstance(part, ProviderPart) and (part.provider != spec.metadata_key or "provider" not in req.parts):
                continue  # another provider's block means nothing here (like its signatures)
            if isinstance(part, ToolCallPart) and part.provider_executed and spec.metadata_key not in part.provider_metadata:
                continue  # a call another provider ran itself: nothing for this one to answer
            rule, pctx = _choose(spec, part, role, model, calls)
            if rule.drop:
                continue
            if rule.as_message is not None:
                value = _render(rule.as_message, pctx, spec, part.type)
                if value is OMIT:
                    continue
                if chunk:  # the turn so far goes first, so the order of the parts is kept
                    turn = _render_turn(spec, template, msg, role, model, chunk, {}, into_names)
                    if turn is not OMIT:
                        wire.append(turn)
                    chunk = []
                wire.append(value)
                emitted = True
            elif rule.value is not None:
                value = _render(rule.value, pctx, spec, part.type)
                if value is OMIT:
                    continue
                after = _render(rule.after, pctx, spec, part.type) if rule.after is not None else OMIT
                if rule.into:
                    collected.setdefault(rule.into, []).append(value)
                    if after is not OMIT and after is not None:
                        collected[rule.into].append(after)
                else:
                    chunk.append((value, part.type, part))
                    if after is not OMIT and after is not None:
                        chunk.append((after, "after", part))
        if chunk or collected or not (msg.parts or emitted):
            turn = _render_turn(spec, template, msg, role, model, chunk, collected, into_names)
            if turn is not OMIT:
                wire.append(turn)
    if req.merge_key:
        wire = _merge_consecutive(wire, req.merge_key)
    system_parts: list[Any] = []
    text_rules = req.parts.get("text")
    for text_part in system_texts:
        if text_rules is None:
            system_parts.append({"text": text_part.text})
            continue
        rule, pctx = _choose(spec, text_part, "system", model, calls)
        if rule.value is not None and not rule.drop:
            system_parts.append(_render(rule.value, pctx, spec, "system text"))
            after = _render(rule.after, pctx, spec, "system text") if rule.after is not None else OMIT
            if after is not OMIT and after is not None:
                system_parts.append(after)
    return wire, system_parts


def _render_turn(
    spec: CompiledSpec, template: Any, msg: Message, role: str, model: str,
    chunk: list[tuple[Any, str, Any]], collected: dict[str, list[Any]], into_names: list[str],
) -> Any:
    """One wire message from the rendered parts of (a stretch of) a turn."""
    mctx = {
        "role": role,
        "parts": [p for p, _, _ in chunk],
        "text": "".join(part.text for _, kind, part in chunk if kind == "text"),
        "only_text": all(kind == "text" for _, kind, _ in chunk),
        "name": msg.name,
        "model": model,
        "omit": OMIT,
        **{n: collected.get(n, []) for n in into_names},
    }
    return _render(template, mctx, spec, f"{msg.role} message")


def _choose(spec: CompiledSpec, part: Any, role: str, model: str, calls: dict[str, ToolCallPart]) -> tuple[PartRule, dict[str, Any]]:
    rules = spec.request.parts.get(part.type)
    if not rules:
        raise RequestBuildError(f"{spec.provider} cannot send {part.type} parts (its spec has no request.parts.{part.type} rule)")
    meta = _Meta(part.provider_metadata.get(spec.metadata_key) or {})
    ctx = {"part": _part_context(spec, part, calls, model), "meta": meta, "role": role, "model": model, "omit": OMIT}
    for rule in rules:
        try:
            matched = rule.when is None or rule.when.render(ctx)
        except TemplateFailure as exc:
            raise spec.render_failure(exc, f"{spec.provider}: request.parts.{part.type}: {exc}") from None
        if matched:
            if rule.error is not None:
                raise RequestBuildError(f"{spec.provider}: {rule.error}")
            return rule, ctx
    raise RequestBuildError(f"{spec.provider} cannot send this {part.type} part (no request.parts.{part.type} rule matches it)")


class _Meta(dict):  # type: ignore[type-arg]
    """A part's provider metadata in templates: opaque, so a missing key reads as ``None``."""

    def __missing__(self, key: Any) -> None:
        return None


def _render(tree: Any, ctx: dict[str, Any], spec: CompiledSpec, what: str) -> Any:
    try:
        return tree.render(ctx)
    except TemplateFailure as exc:
        raise spec.render_failure(exc, f"{spec.provider}: rendering a {what}: {exc}") from None


def _part_context(spec: CompiledSpec, part: Any, calls: dict[str, ToolCallPart], model: str) -> dict[str, Any]:
    d: dict[str, Any] = part.model_dump(exclude={"provider_metadata"})
    kind = part.type
    if kind in ("image", "document", "audio") and part.data is not None:
        d["data_url"] = f"data:{part.media_type};base64,{part.data}"
    else:
        d.setdefault("data_url", None)
    if kind == "document":
        d["decoded_text"] = None
        if part.data is not None and part.media_type.startswith("text/"):
            try:
                d["decoded_text"] = base64.b64decode(part.data, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise RequestBuildError("a text document's data must be base64-encoded UTF-8") from None
    if kind == "audio":
        d["format"] = _AUDIO_FORMATS.get(part.media_type, part.media_type.rpartition("/")[2])
    if kind == "tool_call":
        args = part.arguments
        d["arguments"] = args if args is not None else {}
        d["arguments_json"] = json.dumps(args, ensure_ascii=False, separators=(",", ":")) if args is not None else (part.arguments_text or "{}")
        synthetic = part.provider_metadata.get(spec.metadata_key, {}).get("synthetic_id")
        d["provider_tool_call_id"] = None if synthetic else part.tool_call_id
    if kind == "tool_result":
        call = calls.get(part.tool_call_id)
        d["tool_name"] = part.tool_name or (call.tool_name if call else None)
        synthetic = call is not None and call.provider_metadata.get(spec.metadata_key, {}).get("synthetic_id")
        d["provider_tool_call_id"] = None if synthetic else part.tool_call_id
        content = part.content
        if isinstance(content, str):
            d["text"], d["content_is_text"], d["content_parts"] = content, True, None
        else:
            d["text"] = "".join(p.text for p in content if isinstance(p, TextPart))
            d["content_is_text"] = all(isinstance(p, TextPart) for p in content)
            inner = []
            for sub in content:
                rule, sctx = _choose(spec, sub, "tool", model, calls)
                if rule.value is not None and not rule.drop:
                    inner.append(_render(rule.value, sctx, spec, f"{sub.type} part in a tool result"))
            d["content_parts"] = inner
    return d


def _merge_consecutive(wire: list[Any], key: str) -> list[Any]:
    out: list[Any] = []
    for msg in wire:
        prev = out[-1] if out else None
        if (
            isinstance(prev, dict)
            and isinstance(msg, dict)
            and prev.get("role") == msg.get("role")
            and isinstance(prev.get(key), list)
            and isinstance(msg.get(key), list)
        ):
            out[-1] = {**prev, key: prev[key] + msg[key]}
        else:
            out.append(msg)
    return out
