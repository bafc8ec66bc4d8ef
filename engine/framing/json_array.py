"""``json-array``: one JSON array whose elements arrive over time (Gemini ``streamGenerateContent``
without ``alt=sse``, https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).

An incremental scanner over bytes: it skips ``[``, ``,`` and whitespace between elements, tracks
string and escape state and bracket depth inside an element, and emits one frame per complete
element (an object or array).  Scanning bytes is safe for UTF-8 because every byte of a multi-byte
sequence is >= 0x80 and never looks like JSON punctuation, so any split of the body gives the same
frames.  Counting braces without string state (the google-genai SDK's approach) breaks on a ``}``
inside a string; this scanner does not.

Errors: :class:`FramingError` for bytes that cannot be a JSON array of objects or an element over
the size cap; :class:`IncompleteStreamError` when the body ends before the closing ``]``.
"""

from __future__ import annotations

import re

from ..errors import FramingError, IncompleteStreamError
from .base import DEFAULT_MAX_FRAME_BYTES, Frame

__all__ = ["JSONArrayFraming"]

_WS = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
_IN_STRING = re.compile(rb'["\\]')
_IN_ELEMENT = re.compile(rb'["{}\[\]]')

_BEFORE, _BETWEEN, _ELEMENT, _END = range(4)


class JSONArrayFraming:
    """Incremental scanner for a JSON array of objects (see the module docstring)."""

    def __init__(self, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._state = _BEFORE
        self._buf = bytearray()  # bytes of the element being read
        self._depth = 0
        self._in_string = False
        self._escape = False
        self._need_comma = False
        self._after_comma = False
        self._head = b""  # the first bytes, held while they could still be a byte-order mark
        self._bom_done = False
        self._offset = 0  # bytes consumed before the current chunk
        self._max = max_frame_bytes

    def decode(self, data: bytes) -> list[Frame]:
        out: list[Frame] = []
        try:
            self._decode(data, out)
        except FramingError as exc:
            exc.frames = out  # elements completed before the error still count
            raise
        return out

    def _decode(self, data: bytes, out: list[Frame]) -> None:
        if not self._bom_done:
            head = self._head + data
            if len(head) < 3 and _BOM.startswith(head):
                self._head = head  # perhaps a byte-order mark split across reads: wait for more
                return
            self._bom_done, self._head = True, b""
            if head.startswith(_BOM):
                head = head[3:]
                self._offset += 3
            data = head
        i, n = 0, len(data)
        while i < n:
            if self._state == _ELEMENT:
                i = self._scan_element(data, i, out)
                continue
            byte = data[i]
            if byte in _WS:
                i += 1
                continue
            if self._state == _BEFORE:
                if byte != 0x5B:  # [
                    raise FramingError("expected a JSON array", offset=self._offset + i)
                self._state = _BETWEEN
                i += 1
            elif self._state == _BETWEEN:
                if byte == 0x2C and self._need_comma:  # ,
                    self._need_comma = False
                    self._after_comma = True
                    i += 1
                elif byte == 0x5D and not self._after_comma:  # ]
                    self._state = _END
                    i += 1
                elif byte in (0x7B, 0x5B) and not self._need_comma:  # { [
                    self._state = _ELEMENT
                    self._after_comma = False
                    self._depth = 0
                else:
                    what = "a trailing comma" if byte == 0x5D else f"unexpected {chr(byte)!r}"
                    raise FramingError(f"{what} between JSON array elements", offset=self._offset + i)
            else:  # _END
                raise FramingError("data after the end of the JSON array", offset=self._offset + i)
        self._offset += n

    def _scan_element(self, data: bytes, i: int, out: list[Frame]) -> int:
        n = len(data)
        start = i
        while i < n:
            if self._in_string:
                if self._escape:
                    self._escape = False
                    i += 1
                    continue
                m = _IN_STRING.search(data, i)
                if m is None:
                    i = n
                    break
                i = m.end()
                if m.group() == b"\\":
                    self._escape = True
                else:
                    self._in_string = False
                continue
            m = _IN_ELEMENT.search(data, i)
            if m is None:
                i = n
                break
            i = m.end()
            ch = m.group()
            if ch == b'"':
                self._in_string = True
            elif ch in (b"{", b"["):
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    self._buf += data[start:i]
                    self._emit(out)
                    return i
        self._buf += data[start:i]
        if len(self._buf) > self._max:
            raise FramingError(f"JSON array element larger than {self._max} bytes", offset=self._offset + i)
        return i

    def _emit(self, out: list[Frame]) -> None:
        if len(self._buf) > self._max:
            raise FramingError(f"JSON array element larger than {self._max} bytes", offset=self._offset)
        out.append(Frame(None, self._buf.decode("utf-8", errors="replace")))
        self._buf = bytearray()
        self._state = _BETWEEN
        self._need_comma = True

    def flush(self) -> list[Frame]:
        if self._state != _END:
            where = "inside an element" if self._state == _ELEMENT else "before the closing ']'"
            raise IncompleteStreamError(f"the JSON array ended {where}")
        return []
