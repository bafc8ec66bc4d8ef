"""``sse``: Server-Sent Events, via httpx-sse's decoders.

Bytes are decoded as UTF-8 incrementally (a code point split across reads is kept whole; invalid
bytes become U+FFFD), a leading byte-order mark is dropped, lines are split on CR, LF and CRLF only
(httpx-sse's ``SSELineDecoder``: never on U+2028 and friends, which would corrupt JSON), and events
are assembled by httpx-sse's WHATWG ``SSEDecoder``.  Comments (``: ping``) produce nothing; an event
with no ``data`` produces nothing.  https://html.spec.whatwg.org/multipage/server-sent-events.html

One departure from WHATWG, which discards an event the body ends in without its closing blank
line: such a last event is delivered at :meth:`flush`, because real bodies end that way (the
Anthropic SDK's own fixtures and several recorded streams in tests/fixtures do).  A payload cut off
mid-JSON then fails to parse, which the processor reports as an incomplete stream.
"""

from __future__ import annotations

import codecs

from httpx_sse._decoders import SSEDecoder, SSELineDecoder

from ..errors import FramingError
from .base import DEFAULT_MAX_FRAME_BYTES, Frame

__all__ = ["SSEFraming"]


class SSEFraming:
    """Incremental SSE decoder.  ``max_frame_bytes`` caps one line and one event's data."""

    def __init__(self, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._lines = SSELineDecoder()
        self._events = SSEDecoder()
        self._max = max_frame_bytes
        self._bom_checked = False
        self._pending = 0  # characters buffered in an unfinished line
        self._data = 0  # characters of data in the unfinished event
        self._named = False  # the unfinished event has an `event:` field
        self._offset = 0

    def decode(self, data: bytes) -> list[Frame]:
        self._offset += len(data)
        return self._feed(self._text.decode(data))

    def flush(self) -> list[Frame]:
        out = self._feed(self._text.decode(b"", final=True))
        for line in self._lines.flush():
            self._line(line, out)
        self._line("", out)  # deliver a last event that lacks its closing blank line
        return out

    def _feed(self, text: str) -> list[Frame]:
        out: list[Frame] = []
        try:
            self._feed_into(text, out)
        except FramingError as exc:
            exc.frames = out  # frames completed before the error still count
            raise
        return out

    def _feed_into(self, text: str, out: list[Frame]) -> list[Frame]:
        if not text:
            return out
        if not self._bom_checked:
            self._bom_checked = True
            if text[0] == "\ufeff":
                text = text[1:]
                if not text:
                    return out
        lines = self._lines.decode(text) if text else []
        if lines:
            buffered = self._lines.buffer
            self._pending = len(buffered[0]) if buffered else 0
        else:
            self._pending += len(text)
        if self._pending > self._max:
            raise FramingError(f"SSE line longer than {self._max} characters", offset=self._offset)
        for line in lines:
            self._line(line, out)
        return out

    def _line(self, line: str, out: list[Frame]) -> None:
        if len(line) > self._max:
            raise FramingError(f"SSE line longer than {self._max} characters", offset=self._offset)
        if line.startswith("data"):
            self._data += len(line)
            if self._data > self._max:
                raise FramingError(f"SSE event data larger than {self._max} characters", offset=self._offset)
        elif line.startswith("event:") or line == "event":
            self._named = True
        event = self._events.decode(line)
        if event is None:
            return
        named, self._named, self._data = self._named, False, 0
        if event.data == "" and not line:
            return  # `event: x` with no data, or only an id/retry field
        # httpx-sse reports a missing event name as "message"; a frame without one has None
        out.append(Frame(event.event if named and event.event else None, event.data))
