"""``aws-eventstream``: the ``application/vnd.amazon.eventstream`` binary framing of AWS streaming
responses (Bedrock ``ConverseStream`` and ``InvokeModelWithResponseStream``).

Wire format (https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html#streaming-event-stream ,
https://smithy.io/2.0/aws/amazon-eventstream.html; botocore ``eventstream.py``)::

    prelude   total length (uint32 BE) | headers length (uint32 BE) | prelude CRC32 (of the 8 bytes before)
    headers   repeated: name length (uint8) | name (UTF-8) | type (uint8) | value
    payload   total length - headers length - 16 bytes
    trailer   message CRC32 (of every byte before it, prelude included)

Header value types: 0 true, 1 false, 2 int8, 3 int16, 4 int32, 5 int64 (all signed, big-endian),
6 byte array and 7 UTF-8 string (uint16 length first), 8 timestamp (int64 milliseconds since the
epoch), 9 UUID (16 bytes).

An incremental decoder over bytes: it buffers until a whole message is there, so every split of the
body gives the same frames.  Each message becomes ``Frame(event, text, headers)``:

* ``event``: the ``:event-type`` header (``messageStart``, ``contentBlockDelta``, ``chunk``…); for
  ``:message-type: exception`` the ``:exception-type`` (``throttlingException``…), for
  ``:message-type: error`` the ``:error-code``;
* ``text``: the payload as UTF-8 text (invalid bytes become U+FFFD); an empty payload is given as
  ``{}`` so that rules can still match the frame on its headers (an ``error`` message carries its
  code and message in headers only);
* ``headers``: every header, values as JSON-friendly Python values: booleans, integers (a
  timestamp as its integer milliseconds), strings, a byte array as its base64 text and a UUID
  as its canonical ``8-4-4-4-12`` text.  Rules see them as ``headers.":exception-type"``.

Checks (docs/RELIABILITY.md T8, botocore's bounds in ``eventstream.py``): the prelude CRC before any
length is trusted, then headers at most 128 KiB and payload at most 24 MiB, then the message CRC;
malformed headers (unknown type, a value running past the headers, a repeated name, a name that
is not UTF-8) -- all :class:`~specwire.FramingError` with the byte offset of the message.  A body
that ends inside a message is :class:`~specwire.IncompleteStreamError` at :meth:`flush`.

:class:`PayloadChunkFraming` (not registered yet, see its docstring) additionally decodes the base64
``bytes`` of Bedrock ``InvokeModelWithResponseStream`` ``chunk`` events, which JMESPath rules cannot.
:func:`encode_message` builds messages for tests and fixtures.
"""

from __future__ import annotations

import base64
import binascii
import struct
import uuid
import zlib

from ..errors import FramingError, IncompleteStreamError
from ..safejson import JSONDepthError, loads
from .base import Frame

__all__ = ["MAX_HEADERS_BYTES", "MAX_PAYLOAD_BYTES", "EventStreamFraming", "PayloadChunkFraming", "encode_message"]

PRELUDE_BYTES = 12
#: botocore eventstream.py ``_MAX_HEADERS_LENGTH`` and ``_MAX_PAYLOAD_LENGTH``.
MAX_HEADERS_BYTES = 128 * 1024
MAX_PAYLOAD_BYTES = 24 * 1024 * 1024
_COMPACT_AT = 64 * 1024

_INTS = {2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}


def _crc(data: bytes, value: int = 0) -> int:
    return zlib.crc32(data, value) & 0xFFFFFFFF


class EventStreamFraming:
    """Incremental ``application/vnd.amazon.eventstream`` decoder (see the module docstring).

    ``max_headers_bytes`` and ``max_payload_bytes`` default to botocore's bounds;
    ``max_frame_bytes`` (the engine's generic per-frame limit) caps the payload when given."""

    def __init__(
        self,
        *,
        max_headers_bytes: int = MAX_HEADERS_BYTES,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        max_frame_bytes: int | None = None,
    ) -> None:
        self._buf = bytearray()
        self._pos = 0  # start of the current message in _buf
        self._offset = 0  # body offset of _buf[0]
        self._need = 0  # total length of the current message, once its prelude checked out
        self._max_headers = max_headers_bytes
        self._max_payload = max_payload_bytes if max_frame_bytes is None else min(max_payload_bytes, max_frame_bytes)

    def decode(self, data: bytes) -> list[Frame]:
        out: list[Frame] = []
        if not data:
            return out
        self._buf += data
        try:
            self._scan(out)
        except FramingError as exc:
            exc.frames = out  # messages completed before the error still count
            raise
        return out

    def flush(self) -> list[Frame]:
        left = len(self._buf) - self._pos
        if left:
            where = self._offset + self._pos
            raise IncompleteStreamError(f"the event stream ended inside a message ({left} bytes of it at byte {where})")
        return []

    # ------------------------------------------------------------------ internals
    def _scan(self, out: list[Frame]) -> None:
        buf = self._buf
        while True:
            start = self._pos
            avail = len(buf) - start
            if not self._need:
                if avail < PRELUDE_BYTES:
                    break
                self._need = self._prelude(start)
            if avail < self._need:
                break
            out.append(self._message(start, self._need))
            self._pos = start + self._need
            self._need = 0
        if self._pos >= _COMPACT_AT or self._pos == len(buf):
            del buf[: self._pos]
            self._offset += self._pos
            self._pos = 0

    def _fail(self, what: str, start: int) -> FramingError:
        return FramingError(f"event stream: {what}", offset=self._offset + start)

    def _prelude(self, start: int) -> int:
        buf = self._buf
        total, headers_len, prelude_crc = struct.unpack_from(">III", buf, start)
        if _crc(bytes(buf[start : start + 8])) != prelude_crc:
            raise self._fail("prelude checksum mismatch", start)
        if headers_len > self._max_headers:
            raise self._fail(f"headers of {headers_len} bytes exceed the maximum of {self._max_headers}", start)
        payload_len = total - headers_len - PRELUDE_BYTES - 4
        if payload_len < 0:
            raise self._fail(f"message length {total} is too small for {headers_len} bytes of headers", start)
        if payload_len > self._max_payload:
            raise self._fail(f"payload of {payload_len} bytes exceeds the maximum of {self._max_payload}", start)
        return int(total)

    def _message(self, start: int, total: int) -> Frame:
        msg = bytes(self._buf[start : start + total])
        (expected,) = struct.unpack_from(">I", msg, total - 4)
        if _crc(msg[: total - 4]) != expected:
            raise self._fail("message checksum mismatch", start)
        (headers_len,) = struct.unpack_from(">I", msg, 4)
        headers = self._headers(msg[PRELUDE_BYTES : PRELUDE_BYTES + headers_len], start)
        payload = msg[PRELUDE_BYTES + headers_len : total - 4]
        kind = headers.get(":message-type", "event")
        if kind == "exception":
            event = headers.get(":exception-type")
        elif kind == "error":
            event = headers.get(":error-code")
        else:
            event = headers.get(":event-type")
        text = payload.decode("utf-8", errors="replace") if payload else "{}"
        return Frame(event if isinstance(event, str) else None, text, headers)

    def _headers(self, raw: bytes, start: int) -> dict[str, object]:
        out: dict[str, object] = {}
        i, n = 0, len(raw)
        try:
            while i < n:
                name_len = raw[i]
                name_bytes = raw[i + 1 : i + 1 + name_len]
                if name_len == 0 or len(name_bytes) != name_len:
                    raise self._fail("a header name runs past the headers", start)
                name = name_bytes.decode("utf-8")
                i += 1 + name_len
                kind = raw[i]
                i += 1
                value: object
                if kind in (0, 1):
                    value = kind == 0
                elif kind in _INTS:
                    fmt = _INTS[kind]
                    size = struct.calcsize(fmt)
                    if i + size > n:
                        raise self._fail(f"header {name!r} runs past the headers", start)
                    (value,) = struct.unpack_from(fmt, raw, i)
                    i += size
                elif kind in (6, 7):
                    if i + 2 > n:
                        raise self._fail(f"header {name!r} runs past the headers", start)
                    (size,) = struct.unpack_from(">H", raw, i)
                    i += 2
                    data = raw[i : i + size]
                    if len(data) != size:
                        raise self._fail(f"header {name!r} runs past the headers", start)
                    i += size
                    value = data.decode("utf-8") if kind == 7 else base64.b64encode(data).decode("ascii")
                elif kind == 9:
                    data = raw[i : i + 16]
                    if len(data) != 16:
                        raise self._fail(f"header {name!r} runs past the headers", start)
                    i += 16
                    value = str(uuid.UUID(bytes=data))
                else:
                    raise self._fail(f"header {name!r} has unknown value type {kind}", start)
                if name in out:
                    raise self._fail(f"duplicate header {name!r}", start)
                out[name] = value
        except IndexError:
            raise self._fail("a header runs past the headers", start) from None
        except UnicodeDecodeError:
            raise self._fail("a header is not valid UTF-8", start) from None
        return out


class PayloadChunkFraming(EventStreamFraming):
    """Bedrock ``InvokeModelWithResponseStream``: event-stream messages whose ``chunk`` events carry
    the model's own JSON event base64-encoded in ``bytes`` (the ``PayloadPart`` blob of botocore's
    bedrock-runtime service model; botocore's blob parser and the anthropic SDK's
    ``lib/bedrock/_stream_decoder.py`` decode it the same way).

    A ``chunk`` frame becomes ``Frame(event=<the inner JSON's "type", else None>, text=<the inner
    JSON text>, headers=<the message headers>)``, so a spec can reuse the rules it has for the
    provider's native stream (Anthropic's ``message_start``… events); exception and other messages
    pass through as :class:`EventStreamFraming` gives them.  A ``bytes`` value that is not base64 is
    a :class:`~specwire.FramingError`.

    Registered as ``aws-eventstream-payload``."""

    def _message(self, start: int, total: int) -> Frame:
        frame = super()._message(start, total)
        headers = frame.headers or {}
        if frame.event != "chunk" or headers.get(":message-type", "event") != "event":
            return frame
        try:
            outer = loads(frame.text)
        except JSONDepthError:
            raise self._fail("a chunk payload is nested too deeply", start) from None
        except ValueError:
            raise self._fail("a chunk payload is not JSON", start) from None
        raw = outer.get("bytes") if isinstance(outer, dict) else None
        if not isinstance(raw, str):
            raise self._fail("a chunk payload has no base64 `bytes` field", start)
        try:
            inner = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise self._fail("a chunk's `bytes` field is not base64", start) from None
        text = inner.decode("utf-8", errors="replace")
        try:
            data = loads(text)
        except JSONDepthError:
            raise self._fail("a chunk's `bytes` JSON is nested too deeply", start) from None
        except ValueError:
            data = None  # the spec's rules see the text and refuse it
        event = data.get("type") if isinstance(data, dict) else None
        return Frame(event if isinstance(event, str) else None, text, headers)


# ---------------------------------------------------------------------------- encoding (tests, tools)
def _header_bytes(name: str, value: object) -> bytes:
    raw_name = name.encode("utf-8")
    head = struct.pack(">B", len(raw_name)) + raw_name
    if isinstance(value, bool):
        return head + struct.pack(">B", 0 if value else 1)
    if isinstance(value, int):
        return head + struct.pack(">Bq", 5, value)
    if isinstance(value, bytes):
        return head + struct.pack(">BH", 6, len(value)) + value
    if isinstance(value, uuid.UUID):
        return head + struct.pack(">B", 9) + value.bytes
    data = str(value).encode("utf-8")
    return head + struct.pack(">BH", 7, len(data)) + data


def encode_message(headers: dict[str, object], payload: bytes) -> bytes:
    """One event-stream message (for tests and fixtures): strings as type 7, ``bytes`` as type 6,
    ``bool`` as 0/1, ``int`` as int64 (type 5) and :class:`uuid.UUID` as type 9."""
    raw_headers = b"".join(_header_bytes(k, v) for k, v in headers.items())
    total = PRELUDE_BYTES + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", _crc(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", _crc(body))
