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

    def decode(self, data: bytes) -> list[Frame]:
        self._buf += data
        if b"\n" not in data:
            if len(self._buf) > self._max:
                raise FramingError(f"NDJSON line longer than {self._max} bytes")
            return []
        *lines, rest = bytes(self._buf).split(b"\n")
        self._buf = bytearray(rest)
        return [Frame(None, line.decode("utf-8", errors="replace")) for line in lines if line.strip()]

    def flush(self) -> list[Frame]:
        rest, self._buf = bytes(self._buf), bytearray()
        return [Frame(None, rest.decode("utf-8", errors="replace"))] if rest.strip() else []


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
