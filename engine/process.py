"""The response pipeline for one call, sans-IO: body bytes in, stream events out.

``bytes --framing--> frames --JSON--> chunks --event rules--> raw events --assembler--> events``

:class:`ResponseProcessor` is what both the sync and the async transport loops drive, and what
``specwire replay`` drives from a file: :meth:`start` once, :meth:`feed` per network read,
:meth:`close` at the end of the body.  Once a terminal event (``finish`` or ``error``) has been
returned, :attr:`finished` is true and further input is ignored.

Termination rules: a streaming response is complete when its ``done`` signal arrived (a
``done_data`` sentinel such as ``[DONE]`` or a rule emitting ``done``), or, for specs whose
``complete_on`` lists ``finish``, when a finish reason arrived.  A body that ends otherwise gives
:class:`IncompleteStreamError`, never a synthetic finish.  The done signal finishes the stream at
once; anything after it is ignored (the client drains the rest of the body within a small budget,
so the connection can be reused, and never waits for the server to close it).  A spec whose
``done_after`` lists ``finish`` (Bedrock ConverseStream, where the ``metadata`` event that carries
usage may come before or after ``messageStop``, or not at all) counts the done signal only once a
finish reason has arrived too, in whichever order the two come; with ``complete_on: [done, finish]``
the finish alone then completes a body that ends without the done signal.
A non-streaming body is complete when it parses.
"""

from __future__ import annotations

from typing import Any

from . import hooks
from .assemble import Assembler
from .errors import ContentFilterError, FramingError, IncompleteStreamError, SpecwireError, StreamError, StructuredOutputError
from .mapping import EventMapper, MappingFailure, Observer
from .provider_errors import api_error
from .safejson import JSONDepthError, loads
from .spec.compile import CompiledSpec
from .structured import OutputSpec, finish_structured
from .types import CallWarning, ErrorEvent, Finish, ResponseStart, WarningEvent

__all__ = ["ResponseProcessor"]

_MAX_UNMATCHED_WARNINGS = 5
_EXCERPT = 200


class ResponseProcessor:
    """Turns one response body into stream events (see the module docstring).

    ``stream_mode`` selects one of the spec's ``stream.modes``; ``framing`` overrides the framing
    name (``specwire replay --framing``).  With ``raise_on_content_filter``, a response that
    finished with the unified reason ``content_filter`` ends with an ``error`` event carrying
    :class:`~specwire.ContentFilterError` (its ``partial`` is the whole response) instead of
    ``finish``.  With ``output`` (a ``json_schema`` response format), the final response gets the
    structured reply in place and ``parsed`` (:func:`specwire.structured.finish_structured`); a
    reply that does not validate ends with an ``error`` event carrying
    :class:`~specwire.StructuredOutputError` instead of ``finish``.  ``observe`` is told about every rule that fires (:data:`specwire.mapping.Observer`;
    ``validate-spec``'s sample check).  Raises ``KeyError`` for an unknown mode and
    :class:`~specwire.hooks.UnknownHook` for an unknown framing.
    """

    def __init__(
        self,
        spec: CompiledSpec,
        *,
        model: str,
        stream: bool,
        stream_mode: str | None = None,
        framing: str | None = None,
        warnings: list[CallWarning] | None = None,
        framing_limits: dict[str, int] | None = None,
        raise_on_content_filter: bool = False,
        observe: Observer | None = None,
        settings: dict[str, Any] | None = None,
        output: OutputSpec | None = None,
    ) -> None:
        self.spec = spec
        self._output = output
        self._raise_on_content_filter = raise_on_content_filter
        self.stream = stream
        if stream:
            cfg = spec.stream_config(stream_mode)
            framing_name = framing or cfg.framing
            rules = cfg.rules
            self._done_data = cfg.done_data
            self._complete_on = cfg.complete_on
            self._done_after = cfg.done_after
        else:
            framing_name = framing or "json"
            rules = spec.response
            self._done_data = None
            self._complete_on = frozenset()
            self._done_after = frozenset()
        self.framing_name = framing_name
        self._framing = hooks.framing_factory(framing_name)(**(framing_limits or {}))
        self._mapper = EventMapper(rules, spec.usage, observe)
        self._asm = Assembler(
            provider=spec.provider,
            model=model,
            metadata_key=spec.metadata_key,
            finish_reasons=spec.finish_reasons,
            usage_config=spec.usage,
            model_info=spec.model_info(model),
            warnings=warnings,
            settings=settings,
        )
        self.model = model
        self.finished = False
        self._unmatched: set[str | None] = set()

    # ------------------------------------------------------------------ driving
    def start(self) -> list[Any]:
        """The opening events: ``response_start`` and one ``warning`` per request warning."""
        out: list[Any] = [ResponseStart(provider=self.spec.provider, model=self.model)]
        out.extend(WarningEvent(warning=w) for w in self._asm.warnings)
        return out

    def feed(self, data: bytes) -> list[Any]:
        """Events for the next piece of the body."""
        if self.finished or not data:
            return []
        try:
            frames = self._framing.decode(data)
        except SpecwireError as exc:
            out = self._frames(getattr(exc, "frames", None) or [])
            return out + self.fail(exc)
        out = self._frames(frames)
        if self.stream and not self.finished and self._done():
            # the done signal came: finish now, without waiting for the end of the body (a server
            # may keep the connection open after ``[DONE]``; the client drains or discards it)
            return self._finish(out)
        return out

    def close(self) -> list[Any]:
        """Events at the end of the body, ending with the terminal event."""
        if self.finished:
            return []
        try:
            frames = self._framing.flush()
        except SpecwireError as exc:
            if isinstance(exc, IncompleteStreamError) and self._complete():
                return self._finish([])  # the terminal signal came; only trailing framing is missing
            return self.fail(exc)
        out = self._frames(frames, at_end=True)
        if self.finished:
            return out
        if self.stream and not self._complete():
            expected = " or ".join(sorted(self._complete_on))
            return out + self.fail(IncompleteStreamError(f"{self.spec.provider}: the stream ended before its terminal event ({expected})"))
        return self._finish(out)

    def fail(self, error: SpecwireError) -> list[Any]:
        """End with an ``error`` event carrying ``error`` and the partial response."""
        if self.finished:
            return []
        self.finished = True
        return self._asm.fail(error)

    @property
    def assembler(self) -> Assembler:
        return self._asm

    # ------------------------------------------------------------------ internals
    def _done(self) -> bool:
        """The done signal arrived, and so did what ``done_after`` waits for."""
        asm = self._asm
        return asm.done and ("finish" not in self._done_after or asm.finish_seen)

    def _complete(self) -> bool:
        return self._done() or ("finish" in self._complete_on and self._asm.finish_seen)

    def _finish(self, out: list[Any]) -> list[Any]:
        self.finished = True
        events = self._asm.finish()
        response = events[-1].response
        if self._raise_on_content_filter and response.finish_reason is not None and response.finish_reason.unified == "content_filter":
            error = ContentFilterError(
                f"the provider's content filter stopped the response (finish reason {response.finish_reason.raw!r})",
                status=200, provider=self.spec.provider, in_stream=self.stream, partial=response,
            )
            events[-1] = ErrorEvent(error=error, response=response)
        elif self._output is not None:
            try:
                events[-1] = Finish(response=finish_structured(response, self._output, self.spec.provider))
            except StructuredOutputError as exc:
                events[-1] = ErrorEvent(error=exc, response=exc.partial or response)
        return out + events

    def _frames(self, frames: list[Any], at_end: bool = False) -> list[Any]:
        out: list[Any] = []
        asm = self._asm
        done_data = self._done_data
        wait_finish = "finish" in self._done_after
        mapper = self._mapper
        for event, text, headers in frames:
            if asm.done and (not wait_finish or asm.finish_seen):
                break  # nothing after the terminal signal counts (see _done)
            if done_data is not None and text.strip() == done_data:
                asm.done_signal()
                continue
            try:
                data = loads(text)
            except JSONDepthError:
                return out + self.fail(FramingError(f"{self.spec.provider}: a frame is nested too deeply"))
            except ValueError:
                if at_end and self.stream:
                    return out + self.fail(IncompleteStreamError(f"{self.spec.provider}: the body ended inside an event"))
                excerpt = text[:_EXCERPT]
                return out + self.fail(FramingError(f"{self.spec.provider}: a frame is not valid JSON: {excerpt!r}"))
            if not self.stream:
                asm.keep_raw(data)
            try:
                raw_events = mapper.map(event, data, headers)
            except MappingFailure as exc:
                return out + self.fail(StreamError(f"{self.spec.provider}: {exc}"))
            if not raw_events:
                out.extend(self._on_unmatched(event, data))
                if self.finished:
                    return out
                continue
            error_event = None
            for kind, fields, meta in raw_events:
                if kind == "error":  # the frame's other events (usage…) still count, whatever the rule order
                    error_event = error_event or fields
                    continue
                events = asm.apply(kind, fields, meta)
                if events:
                    out += events
            if error_event is not None:
                body = error_event.get("body") if error_event.get("body") is not None else data
                error = api_error(self.spec, status=200 if self.stream else None, body=body, in_stream=self.stream)
                return out + self.fail(error)
        return out

    def _on_unmatched(self, event: str | None, data: Any) -> list[Any]:
        policy = self._mapper.unmatched
        if policy == "ignore":
            return []
        key = event if event is not None else (next(iter(data), None) if isinstance(data, dict) else None)
        if policy == "error":
            return self.fail(StreamError(f"{self.spec.provider}: no rule matches the frame {key!r}"))
        if key in self._unmatched or len(self._unmatched) >= _MAX_UNMATCHED_WARNINGS:
            return []
        self._unmatched.add(key)
        return self._asm.warn("unmatched-event", f"no rule of the spec matches the frame {key!r}; it was ignored")
