"""The assembler: raw events → the stream-event grammar and the final :class:`Response`.  Pure.

One assembler serves streams and non-streaming bodies alike (pydantic-ai's rule), so both give the
same parts.  It owns the guarantees of docs/ARCHITECTURE.md section 3:

* parts open on their first content and close on ``part_end``, when an implicit part gives way to
  one of another kind, or at the end; ``*_start`` / ``*_delta`` / ``*_end`` events come in order;
* parts are keyed by ``(kind, part_id)``; a rule without ``part_id`` continues the open implicit
  part of the same kind (Gemini text chunks) or starts a new one; a fragment whose ``separate``
  field is truthy is a part of its own (a Gemini part that carries a ``thoughtSignature``: the
  signature belongs to that part alone, so it is neither merged with its neighbours nor overwritten);
* tool calls: id and name are taken from the first fragment that carries them (an empty-string id
  or name in a continuation does not overwrite); arguments are the concatenated fragments, parsed
  at ``tool_call_end``, or the object built from JSON-path ``patches`` (Vertex ``partialArgs``), or
  the object the provider sent when no fragment had content; ids are
  synthesized (``call_…``, marked ``synthetic_id`` in the part's metadata) when the provider sends
  none;
* empty deltas open nothing (unless they carry metadata such as a signature);
* ``provider_part`` keeps a provider-specific block as sent (:class:`ProviderPart`): results of
  provider-executed tools, items the unified types have no place for, and block types the spec
  does not know (the rule's ``warning`` is then reported).  Without ``part_id`` it is complete at
  once; with one it stays open until ``part_end``: a later ``provider_part`` for the same id merges
  its non-null ``data`` keys, and any text / tool-call fragment addressed to that id is absorbed
  (never opens a text part or a client tool call), its concatenation stored under the rule's
  ``streamed_into`` key of ``data`` (parsed as JSON when it is).  Provider parts have no stream
  events of their own: they appear in the final response's ``parts`` (stream event indexes are
  positions in that list, so a provider part leaves a gap);
* ``logprobs`` rules add token log probabilities (:mod:`specwire.logprobs`), in arrival order, to
  ``Response.logprobs``; ``choice`` rules give the extra completions of ``n`` > 1
  (``Response.choices``, by index).  Neither has a stream event;
* usage overlays: later non-null numbers win and raw objects merge (Anthropic splits usage between
  ``message_start`` and ``message_delta``), unless the spec says ``usage.snapshot`` (each usage
  object is complete and replaces the previous one, as Gemini's are);
* the response ends with exactly one terminal event, built by :meth:`finish` or :meth:`fail`.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from .accounting import USAGE_NUMBERS, compute_cost, normalize_usage
from .logprobs import choice, token_logprobs
from .patches import apply_patches
from .mapping import truthy
from .safejson import loads
from .spec.compile import ModelInfo, UsageConfig
from .types import (
    CallWarning,
    Choice,
    ErrorEvent,
    Finish,
    FinishReason,
    ProviderPart,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningPart,
    ReasoningStart,
    Response,
    TextDelta,
    TextEnd,
    TextPart,
    TextStart,
    TokenLogprob,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageUpdate,
    WarningEvent,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .errors import SpecwireError

__all__ = ["Assembler"]


class _Part:
    __slots__ = ("args", "chunks", "data", "executed", "index", "into", "kind", "meta", "name", "open", "patched", "ptype", "redacted", "tool_call_id")

    def __init__(self, kind: str, index: int) -> None:
        self.kind = kind
        self.index = index
        self.chunks: list[str] = []
        self.meta: dict[str, Any] = {}
        self.open = True
        self.tool_call_id: str | None = None
        self.name: str | None = None
        self.args: Any = None
        self.executed = False
        self.redacted = False
        self.patched: Any = None  # arguments built from JSON-path patches
        self.data: dict[str, Any] = {}  # provider parts: the block as sent
        self.ptype: str | None = None  # provider parts: the provider's type name
        self.into: str | None = None  # provider parts: the data key streamed fragments fill


class Assembler:
    """Feed raw events with :meth:`apply`; end with :meth:`finish` or :meth:`fail`.

    ``finish_reasons`` maps raw → ``(unified, unified_when_tool_calls)``.
    """

    def __init__(
        self,
        *,
        provider: str,
        model: str,
        metadata_key: str,
        finish_reasons: Any,
        usage_config: UsageConfig,
        model_info: ModelInfo | None,
        warnings: list[CallWarning] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.provider = provider
        self._settings = settings  # the call's provider settings, for conditional prices
        self._started = datetime.now(timezone.utc)
        self.model = model
        self._ns = metadata_key
        self._finish_map = finish_reasons
        self._usage_config = usage_config
        self._model_info = model_info
        self.warnings: list[CallWarning] = list(warnings or ())
        self._parts: list[_Part] = []
        self._built: dict[int, Any] = {}
        self._keys: dict[tuple[str, Any], _Part] = {}
        self._by_pid: dict[Any, _Part] = {}
        self._implicit: _Part | None = None
        self._usage_numbers: dict[str, Any] = {}
        self._usage_raw: dict[str, Any] | None = None
        self._usage_memo: tuple[Usage | None] | None = None  # :attr:`usage` until the next usage event
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.finish_raw: str | None = None
        self.finish_detail: str | None = None
        self.finish_seen = False
        self._billed: dict[str, Any] | None = None
        self.done = False
        self.raw: Any = None
        self.response_meta: dict[str, Any] = {}
        self._logprobs: list[TokenLogprob] | None = None
        self._choices: dict[int, Choice] = {}

    # ------------------------------------------------------------------ events in
    def apply(self, kind: str, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        handler = Assembler._HANDLERS.get(kind)
        if handler is None:
            return []
        return handler(self, fields, meta)

    def _metadata(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        if meta:
            self.response_meta.update(meta)
        for key, piece in (fields.get("append") or {}).items():
            self.response_meta[key] = str(self.response_meta.get(key) or "") + piece
        if self.response_id is None and isinstance(fields.get("id"), str) and fields["id"]:
            self.response_id = fields["id"]
        if self.response_model is None and isinstance(fields.get("model"), str) and fields["model"]:
            self.response_model = fields["model"]
        return []

    def _get_part(self, kind: str, pid: Any, out: list[Any], *, new: bool = False) -> _Part:
        if pid is not None:
            key = (kind, pid)
            part = None if new else self._keys.get(key)
            if part is None or not part.open:
                part = self._open(kind, out)
                self._keys[key] = part
                self._by_pid[pid] = part
            return part
        cur = self._implicit
        if not new and cur is not None and cur.open and cur.kind == kind:
            return cur
        if cur is not None and cur.open:
            self._close(cur, out)
        part = self._open(kind, out)
        self._implicit = part
        return part

    def _open(self, kind: str, out: list[Any]) -> _Part:
        part = _Part(kind, len(self._parts))
        self._parts.append(part)
        if kind == "text":
            out.append(TextStart(index=part.index))
        elif kind == "reasoning":
            out.append(ReasoningStart(index=part.index))
        return part

    def _content(self, kind: str, fields: dict[str, Any], meta: dict[str, Any], *, complete: bool) -> list[Any]:
        out: list[Any] = []
        delta = fields.get("text" if complete else "delta")
        if delta is not None and not isinstance(delta, str):
            delta = str(delta)
        redacted = fields.get("redacted") is True
        if not delta and not meta and not redacted:
            return out
        pid = fields.get("part_id")
        if pid is not None and self._by_pid and self._absorbed(pid, delta):
            return out
        separate = pid is None and truthy(fields.get("separate"))
        cur = self._implicit
        if pid is None and not (complete or separate) and cur is not None and cur.open and cur.kind == kind:
            part = cur  # the common case: one more fragment of the open implicit part
        else:
            part = self._get_part(kind, pid, out, new=complete or separate)
        if redacted:
            part.redacted = True
        if meta:
            part.meta.update(meta)
        if delta:
            part.chunks.append(delta)
            if kind == "text":
                out.append(TextDelta(index=part.index, delta=delta))
            else:
                out.append(ReasoningDelta(index=part.index, delta=delta))
        if complete or separate:
            self._close(part, out)
        return out

    def _text_delta(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        return self._content("text", fields, meta, complete=False)

    def _text(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        return self._content("text", fields, meta, complete=True)

    def _reasoning_delta(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        return self._content("reasoning", fields, meta, complete=False)

    def _reasoning(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        return self._content("reasoning", fields, meta, complete=True)

    def _tool(self, fields: dict[str, Any], meta: dict[str, Any], *, start: bool, complete: bool) -> list[Any]:
        out: list[Any] = []
        pid = fields.get("part_id")
        part: _Part | None = None
        if not start and self._absorbed(pid, fields.get("delta") if fields.get("delta") is not None else fields.get("arguments")):
            return out
        if not (start or complete):  # a fragment continues the open call with its part_id
            cand = self._keys.get(("tool_call", pid)) if pid is not None else self._implicit
            if cand is not None and cand.open and cand.kind == "tool_call":
                part = cand
        fresh = part is None
        if part is None:
            part = self._get_part("tool_call", pid, out, new=True)
        tool_id, name = fields.get("tool_call_id"), fields.get("tool_name")
        if isinstance(tool_id, str) and tool_id and not part.tool_call_id:
            part.tool_call_id = tool_id
        if isinstance(name, str) and name and not part.name:
            part.name = name
        if fields.get("provider_executed") is True:
            part.executed = True
        if meta:
            part.meta.update(meta)
        patches = fields.get("patches")
        if isinstance(patches, list) and patches:
            part.patched = apply_patches(part.patched, patches)
        args = fields.get("arguments")
        delta = fields.get("delta")
        if isinstance(args, str):
            delta = args if delta is None else delta
        elif args is not None:
            part.args = args
        if fresh:
            out.append(ToolCallStart(index=part.index, tool_call_id=part.tool_call_id, tool_name=part.name))
        if isinstance(delta, str) and delta:
            part.chunks.append(delta)
            out.append(ToolCallDelta(index=part.index, delta=delta))
        elif complete and part.args is not None:
            text = json.dumps(part.args, ensure_ascii=False, separators=(",", ":"))
            out.append(ToolCallDelta(index=part.index, delta=text))
        if complete:
            self._close(part, out)
        return out

    def _tool_call_start(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        return self._tool(fields, meta, start=True, complete=False)

    def _tool_call_delta(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        return self._tool(fields, meta, start=False, complete=False)

    def _tool_call(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        return self._tool(fields, meta, start=False, complete=True)

    def _absorbed(self, pid: Any, fragment: Any) -> bool:
        """A fragment addressed to an open provider part goes into it (see the module docstring)."""
        owner = self._by_pid.get(pid) if pid is not None else None
        if owner is None or owner.kind != "provider" or not owner.open:
            return False
        if isinstance(fragment, str) and fragment:
            owner.chunks.append(fragment)
        return True

    def _provider_part(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        pid = fields.get("part_id")
        part = self._by_pid.get(pid) if pid is not None else None
        data = fields.get("data")
        if part is None or part.kind != "provider" or not part.open:
            part = self._get_part("provider", pid, out, new=True)
            part.data = dict(data) if isinstance(data, dict) else {}
            warning = fields.get("warning")
            if isinstance(warning, str) and warning:
                out.extend(self.warn("unknown-content", warning))
        elif isinstance(data, dict):
            part.data.update({k: v for k, v in data.items() if v is not None})
        ptype, call_id, into = fields.get("provider_type"), fields.get("tool_call_id"), fields.get("streamed_into")
        if isinstance(ptype, str) and ptype and not part.ptype:
            part.ptype = ptype
        if isinstance(call_id, str) and call_id and not part.tool_call_id:
            part.tool_call_id = call_id
        if isinstance(into, str) and into:
            part.into = into
        if meta:
            part.meta.update(meta)
        if pid is None:
            self._close(part, out)
        return out

    def _logprobs_in(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        tokens = token_logprobs(fields.get("logprobs"), fields.get("top_logprobs"))
        if tokens is not None:
            self._logprobs = (self._logprobs or []) + tokens
        return []

    def _choice(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        extra = choice(fields, self._finish_map)
        if extra is not None:
            self._choices[extra.index] = extra
        return []

    def _provider_metadata(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        pid = fields.get("part_id")
        part = self._by_pid.get(pid) if pid is not None else self._implicit
        if part is None and self._parts:
            part = self._parts[-1]
        if part is not None and meta:
            if part.open:
                part.meta.update(meta)
            else:  # metadata after the end (rare): rebuild the finished part with it
                part.meta.update(meta)
                self._built[part.index] = self._build(part)
        return []

    def _part_end(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        pid = fields.get("part_id")
        part = self._by_pid.get(pid) if pid is not None else self._implicit
        if part is not None and part.open:
            self._close(part, out)
        return out

    def _usage(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        billed = fields.get("billed")
        if isinstance(billed, dict) and any(v is not None for v in billed.values()):
            self._billed = {**(self._billed or {}), **{k: v for k, v in billed.items() if v is not None}}
        raw = fields.get("raw")
        snapshot = self._usage_config.snapshot
        self._usage_memo = None
        if isinstance(raw, dict):
            self._usage_raw = dict(raw) if snapshot else {**(self._usage_raw or {}), **raw}
        changed = False
        if snapshot:
            fresh = {n: int(v) for n, v in fields.items() if n in USAGE_NUMBERS and isinstance(v, (int, float)) and not isinstance(v, bool)}
            if not fresh and not isinstance(raw, dict):
                return []  # a report with no numbers and no raw object carries nothing: the last snapshot stands
            if fresh != self._usage_numbers:
                self._usage_numbers = fresh
                return self._usage_update()
            return []
        for name in USAGE_NUMBERS:
            value = fields.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if self._usage_numbers.get(name) != int(value):
                    self._usage_numbers[name] = int(value)
                    changed = True
        if not changed:
            return []
        return self._usage_update()

    def _usage_update(self) -> list[Any]:
        """A ``usage`` event with the usage so far (none while there is no usage to report)."""
        usage = self.usage
        return [UsageUpdate(usage=usage)] if usage is not None else []

    def _finish(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        reason = fields.get("finish_reason")
        if reason is not None:
            self.finish_raw = str(reason)
        detail = fields.get("finish_detail")
        if detail is not None:
            self.finish_detail = str(detail)
        self.finish_seen = True
        return []

    def _done(self, fields: dict[str, Any], meta: dict[str, Any]) -> list[Any]:
        self.done = True
        return []

    def done_signal(self) -> None:
        """The stream's done signal arrived outside any rule (a ``done_data`` sentinel such as
        ``[DONE]``); the same as a rule emitting ``done``."""
        self.done = True

    def keep_raw(self, body: Any) -> None:
        """Keep a non-streaming response's parsed body as ``Response.raw``."""
        self.raw = body

    def warn(self, kind: str, detail: str, param: str | None = None) -> list[Any]:
        warning = CallWarning(kind=kind, param=param, detail=detail)
        self.warnings.append(warning)
        return [WarningEvent(warning=warning)]

    # ------------------------------------------------------------------ parts out
    def _close(self, part: _Part, out: list[Any]) -> None:
        part.open = False
        if self._implicit is part:
            self._implicit = None
        built = self._build(part)
        self._built[part.index] = built
        if part.kind == "text":
            out.append(TextEnd(index=part.index, part=built))
        elif part.kind == "reasoning":
            out.append(ReasoningEnd(index=part.index, part=built))
        elif part.kind == "provider":
            pass  # no stream event of its own (see the module docstring)
        else:
            out.append(ToolCallEnd(index=part.index, part=built))
            if built.arguments is None:
                out.extend(self.warn("invalid-tool-arguments", f"tool call {built.tool_name!r}: arguments are not a JSON object; kept as text in arguments_text"))

    def _build(self, part: _Part) -> Any:
        meta = {self._ns: dict(part.meta)} if part.meta else {}
        if part.kind == "text":
            return TextPart(text="".join(part.chunks), provider_metadata=meta)
        if part.kind == "reasoning":
            return ReasoningPart(text="".join(part.chunks), redacted=part.redacted, provider_metadata=meta)
        if part.kind == "provider":
            return self._build_provider(part, meta)
        text = "".join(part.chunks) if part.chunks else None
        arguments: dict[str, Any] | None
        if part.patched is not None and not (text and text.strip()):
            arguments = part.patched if isinstance(part.patched, dict) else None
        elif text is not None and text.strip():
            try:
                parsed = loads(text)  # too deep is invalid too: kept as text
            except ValueError:
                parsed = None
            arguments = parsed if isinstance(parsed, dict) else None
        elif isinstance(part.args, dict):
            arguments = part.args
        elif part.args is None:
            arguments = {}
        else:
            arguments = None
        if part.tool_call_id is None:
            part.tool_call_id = f"call_{uuid.uuid4().hex[:24]}"
            part.meta["synthetic_id"] = True
            meta = {self._ns: dict(part.meta)}
        return ToolCallPart(
            tool_call_id=part.tool_call_id,
            tool_name=part.name or "",
            arguments=arguments,
            arguments_text=text,
            provider_executed=part.executed,
            provider_metadata=meta,
        )

    def _build_provider(self, part: _Part, meta: dict[str, Any]) -> ProviderPart:
        data = dict(part.data)
        if part.chunks and part.into:
            text = "".join(part.chunks)
            try:
                data[part.into] = loads(text)
            except ValueError:  # not JSON, or nested too deeply: kept as the text that came
                data[part.into] = text
        ptype = part.ptype or (data["type"] if isinstance(data.get("type"), str) else "")
        return ProviderPart(provider=self._ns, provider_type=ptype, data=data, tool_call_id=part.tool_call_id, provider_metadata=meta)

    @property
    def usage(self) -> Usage | None:
        memo = self._usage_memo
        if memo is None:
            memo = self._usage_memo = (self._normalized_usage(),)
        return memo[0]

    def _normalized_usage(self) -> Usage | None:
        if not self._usage_numbers and self._usage_raw is None:
            return None
        return normalize_usage(self._usage_numbers, self._usage_raw, self._usage_config)

    def close_all(self) -> list[Any]:
        out: list[Any] = []
        for part in self._parts:
            if part.open:
                self._close(part, out)
        return out

    def response(self, *, partial: bool = False) -> Response:
        """The response so far (every part built; open parts included as they stand)."""
        parts = [self._built[p.index] if p.index in self._built else self._build(p) for p in self._parts]
        tool_calls = [p for p in parts if isinstance(p, ToolCallPart)]
        reasoning_parts = [p for p in parts if isinstance(p, ReasoningPart)]
        if partial:
            finish = FinishReason(unified="error", raw=self.finish_raw)
        elif self.finish_raw is not None:
            detailed = self._finish_map.get(f"{self.finish_raw}:{self.finish_detail}") if self.finish_detail else None
            default, with_tools = detailed or self._finish_map.get(self.finish_raw, ("other", "other"))
            unified = with_tools if any(not t.provider_executed for t in tool_calls) else default
            finish = FinishReason(unified=unified, raw=self.finish_raw)
        else:
            finish = FinishReason(unified="other", raw=None)
        usage = self.usage
        model = self.response_model or self.model
        billed = normalize_usage(self._billed, None, self._usage_config) if self._billed else usage
        cost, cost_reason = compute_cost(billed, self._model_info, self.model, settings=self._settings, at=self._started)  # priced by the requested model
        return Response(
            id=self.response_id,
            provider=self.provider,
            model=model,
            parts=parts,
            text="".join(p.text for p in parts if isinstance(p, TextPart)),
            reasoning="".join(p.text for p in reasoning_parts) if reasoning_parts else None,
            tool_calls=tool_calls,
            finish_reason=finish,
            usage=usage,
            cost=cost,
            cost_reason=cost_reason,
            warnings=list(self.warnings),
            provider_metadata={self._ns: dict(self.response_meta)} if self.response_meta else {},
            raw=self.raw,
            logprobs=self._logprobs,
            choices=[self._choices[i] for i in sorted(self._choices)],
        )

    def finish(self) -> list[Any]:
        """Close every open part and emit the terminal ``finish`` event."""
        out = self.close_all()
        out.append(Finish(response=self.response()))
        return out

    def fail(self, error: SpecwireError) -> list[Any]:
        """Close every open part and emit the terminal ``error`` event with the partial response;
        the error's ``partial`` is set too."""
        out = self.close_all()
        partial = self.response(partial=True)
        if hasattr(error, "partial"):  # the classes that carry the partial response
            setattr(error, "partial", partial)
        out.append(ErrorEvent(error=error, response=partial))
        return out

    # the dispatch table of :meth:`apply`: raw event kind -> handler (the functions above)
    _HANDLERS: ClassVar[dict[str, Callable[[Assembler, dict[str, Any], dict[str, Any]], list[Any]]]] = {
        "response_metadata": _metadata,
        "text_delta": _text_delta,
        "text": _text,
        "reasoning_delta": _reasoning_delta,
        "reasoning": _reasoning,
        "tool_call_start": _tool_call_start,
        "tool_call_delta": _tool_call_delta,
        "tool_call": _tool_call,
        "provider_metadata": _provider_metadata,
        "provider_part": _provider_part,
        "logprobs": _logprobs_in,
        "choice": _choice,
        "part_end": _part_end,
        "usage": _usage,
        "finish": _finish,
        "done": _done,
    }
