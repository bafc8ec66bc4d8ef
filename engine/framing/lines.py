"""``ndjson`` (one JSON value per line) and ``json`` (the whole body is one JSON value)."""

from __future__ import annotations

from ..errors import FramingError
from .base import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_FRAME_BYTES, Frame

__all__ = ["JSONBodyFraming", "NDJSONFraming"]


class NDJSONFraming:
    """Newline-delimited JSON: every non-empty line is a frame (https://github.com/ndjson/ndjson-spec)."""

    def __init__(self, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._buf = bytearray()
        self._max = max_frame_bytes
        self._first = True

    def decode(self, data: bytes) -> list[Frame]:
        self._buf += data
        if b"\n" not in data:
            self._check(len(self._buf))
            return []
        *lines, rest = bytes(self._buf).split(b"\n")
        self._buf = bytearray(rest)
        out = []
        for line in lines:
            self._check(len(line))
            out.extend(self._frame(line))
        self._check(len(rest))
        return out

    def flush(self) -> list[Frame]:
        rest, self._buf = bytes(self._buf), bytearray()
        return self._frame(rest)

    def _check(self, size: int) -> None:
        if size > self._max:
            raise FramingError(f"NDJSON line longer than {self._max} bytes")

    def _frame(self, line: bytes) -> list[Frame]:
        text = line.decode("utf-8", errors="replace")
        if self._first and text:
            self._first = False
            text = text.lstrip("\ufeff")
        return [Frame(None, text)] if text.strip() else []


class JSONBodyFraming:
    """A whole (non-streaming) body: buffered, then one frame at the end."""

    def __init__(self, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._max = max_body_bytes

    def decode(self, data: bytes) -> list[Frame]:
        self._size += len(data)
        if self._size > self._max:
            raise FramingError(f"response body larger than {self._max} bytes")
        self._chunks.append(data)
        return []

    def flush(self) -> list[Frame]:
        body = b"".join(self._chunks)
        self._chunks = []
        return [Frame(None, body.decode("utf-8", errors="replace").lstrip("\ufeff"))]
