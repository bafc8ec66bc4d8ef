"""``sse``: Server-Sent Events, decoded in one pass over the bytes.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

* Lines end at CR, LF or CRLF, and nowhere else: never at U+2028, U+2029 or NEL, which would
  corrupt the JSON they may sit in.  A CRLF split between two reads is one line end.
* Each complete line is decoded as UTF-8 on its own (the line ends are ASCII, so a code point is
  never split between lines); invalid bytes become U+FFFD.  A leading byte-order mark is dropped.
* ``field: value`` lines (one space after the colon removed); a line starting with ``:`` is a
  comment (``: ping``) and produces nothing; ``data`` lines are joined with LF; ``event`` names the
  event; ``id`` and ``retry`` are read and not used (a call is never resumed).  A blank line ends
  the event.  An event whose data is empty produces nothing.

One departure from WHATWG, which discards an event the body ends in without its closing blank
line: such a last event is delivered at :meth:`flush`, because real bodies end that way (the
Anthropic SDK's own fixtures and several recorded streams in tests/fixtures do).  A payload cut off
mid-JSON then fails to parse, which the processor reports as an incomplete stream.

Caps: one line, and one event's data, at most ``max_frame_bytes`` (bytes of the line as received;
characters of the data).  Past a cap :class:`~specwire.FramingError` names the byte offset.
"""

from __future__ import annotations

from ..errors import FramingError
from .base import DEFAULT_MAX_FRAME_BYTES, Frame

__all__ = ["SSEFraming"]

_BOM = b"\xef\xbb\xbf"


class SSEFraming:
    """Incremental SSE decoder.  ``max_frame_bytes`` caps one line and one event's data."""

    __slots__ = ("_bom_checked", "_buf", "_data", "_data_len", "_event", "_max", "_offset", "_skip_lf")

    def __init__(self, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._buf = b""  # the unfinished line
        self._max = max_frame_bytes
        self._bom_checked = False
        self._skip_lf = False  # the last read ended in CR: an LF first in the next read is its CRLF
        self._data: list[str] = []  # the data lines of the unfinished event
        self._data_len = 0
        self._event: str | None = None
        self._offset = 0

    def decode(self, data: bytes) -> list[Frame]:
        self._offset += len(data)
        out: list[Frame] = []
        try:
            self._feed(data, out)
        except FramingError as exc:
            exc.frames = out  # frames completed before the error still count
            raise
        return out

    def flush(self) -> list[Frame]:
        out: list[Frame] = []
        try:
            if not self._bom_checked and _BOM.startswith(self._buf):
                self._buf = b""  # the body was (a prefix of) a byte-order mark
            if self._buf:
                rest, self._buf = self._buf, b""
                self._line(rest, out)
            self._line(b"", out)  # deliver a last event that lacks its closing blank line
        except FramingError as exc:
            exc.frames = out
            raise
        return out

    def _feed(self, data: bytes, out: list[Frame]) -> None:
        if not data:
            return
        if self._skip_lf:
            self._skip_lf = False
            if data[:1] == b"\n":
                data = data[1:]
        buf = self._buf + data if self._buf else data
        if not self._bom_checked:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._buf = buf  # too short to tell yet
                return
            self._bom_checked = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        if b"\r" in buf:
            lines = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            if buf.endswith(b"\r"):
                self._skip_lf = True  # its LF may come in the next read
        else:
            lines = buf.split(b"\n")
        self._buf = lines.pop()
        if len(self._buf) > self._max:
            raise FramingError(f"SSE line longer than {self._max} bytes", offset=self._offset)
        line_fn = self._line
        for line in lines:
            if not line and self._data:  # the blank line that ends an event (inlined: one per frame)
                text = "\n".join(self._data) if len(self._data) > 1 else self._data[0]
                event = self._event
                self._data, self._data_len, self._event = [], 0, None
                if text:
                    out.append(Frame(event, text))
            else:
                line_fn(line, out)

    def _line(self, raw: bytes, out: list[Frame]) -> None:
        if not raw:
            if self._data:
                data = "\n".join(self._data)
                event = self._event
                self._data, self._data_len, self._event = [], 0, None
                if data:
                    out.append(Frame(event, data))
            else:
                self._event = None
            return
        if len(raw) > self._max:
            raise FramingError(f"SSE line longer than {self._max} bytes", offset=self._offset)
        if raw[:1] == b":":
            return  # a comment
        line = raw.decode("utf-8", errors="replace")
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data_len += len(value) + (1 if self._data else 0)  # the length of the joined data
            if self._data_len > self._max:
                raise FramingError(f"SSE event data larger than {self._max} characters", offset=self._offset)
            self._data.append(value)
        elif name == "event":
            self._event = value or None
