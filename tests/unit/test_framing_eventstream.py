"""Unit tests for :mod:`specwire.framing.eventstream` (``application/vnd.amazon.eventstream``).

What this protects: docs/RELIABILITY.md T8 (both CRC32s checked, headers capped at 128 KiB and payloads
at 24 MiB as botocore does) and the framing contract of docs/ARCHITECTURE.md section 9.3: identical frames for every
partition of a body (a hypothesis property over the real recorded Bedrock bodies in
tests/fixtures/bedrock), every header value type decoded, exception messages surfaced with their
``:exception-type`` so a spec can map them, a truncated body raising
:class:`IncompleteStreamError` only after the complete messages, and no mutated input raising
anything but specwire's own errors.

Why unit tests and not replay tests: the recordings are few and well formed; header types other
than strings, exception messages (none was ever recorded, see the corpus README), oversize
prelude lengths, corrupted CRCs and truncation at every byte are built here with the encoder.
"""

from __future__ import annotations

import base64
import json
import struct
import uuid
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from specwire.errors import FramingError, IncompleteStreamError, SpecwireError
from specwire.framing.base import Frame
from specwire.framing.eventstream import (
    MAX_HEADERS_BYTES,
    MAX_PAYLOAD_BYTES,
    EventStreamFraming,
    PayloadChunkFraming,
    encode_message,
)

from tests.conftest import FIXTURES

BODIES = sorted((FIXTURES / "bedrock").glob("*/eventstream.bin"))


def decode(chunks: list[bytes], **limits: int) -> list[Frame]:
    f = EventStreamFraming(**limits)
    out: list[Frame] = []
    for chunk in chunks:
        out += f.decode(chunk)
    out += f.flush()
    return out


def event(name: str, payload: object) -> bytes:
    return encode_message({":event-type": name, ":content-type": "application/json", ":message-type": "event"}, json.dumps(payload).encode())


# --------------------------------------------------------------------------- recorded bodies
@pytest.mark.parametrize("path", BODIES, ids=lambda p: p.parent.name)
def test_recorded_body_matches_the_corpus_decode(path: Path) -> None:
    """Every message of the six recorded ConverseStream bodies, against the corpus's independent
    decode (``eventstream.decoded.jsonl``: headers and JSON payload per message)."""
    frames = decode([path.read_bytes()])
    expected = [json.loads(line) for line in (path.parent / "eventstream.decoded.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(frames) == len(expected)
    for frame, want in zip(frames, expected):
        assert frame.headers == want["headers"]
        assert frame.event == want["headers"][":event-type"]
        assert json.loads(frame.text) == want["payload"]


@pytest.mark.parametrize("path", BODIES, ids=lambda p: p.parent.name)
def test_recorded_body_bytewise(path: Path) -> None:
    body = path.read_bytes()
    assert decode([body[i : i + 1] for i in range(len(body))]) == decode([body])


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(BODIES), cuts=st.lists(st.floats(min_value=0, max_value=1), max_size=40))
def test_any_partition_gives_identical_frames(which: Path, cuts: list[float]) -> None:
    body = which.read_bytes()
    points = sorted({int(c * len(body)) for c in cuts})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)])]
    assert decode(pieces) == decode([body])


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.sampled_from(BODIES),
    edits=st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.floats(min_value=0, max_value=1),
    chunk=st.integers(1, 700),
)
def test_mutated_bytes_raise_only_specwire_errors(which: Path, edits: list[tuple[float, int]], cut: float, chunk: int) -> None:
    """Flipped bytes and truncation anywhere: frames, a FramingError or an IncompleteStreamError,
    never an IndexError, struct.error or UnicodeDecodeError."""
    body = bytearray(which.read_bytes())
    for where, value in edits:
        body[int(where * (len(body) - 1))] = value
    body = body[: max(1, int(cut * len(body)))] if cut < 0.5 else body
    f = EventStreamFraming()
    try:
        for i in range(0, len(body), chunk):
            f.decode(bytes(body[i : i + chunk]))
        f.flush()
    except (FramingError, IncompleteStreamError):
        pass
    except SpecwireError as exc:  # pragma: no cover - would be a contract break
        pytest.fail(f"unexpected specwire error {exc!r}")


# --------------------------------------------------------------------------- header types
def test_every_header_value_type() -> None:
    """Types 0-9 of the wire format (botocore ``EventStreamHeaderParser``), decoded to JSON-friendly
    values; built by hand because the encoder writes integers as int64 only."""
    uid = uuid.UUID("12345678-1234-5678-1234-567812345678")

    def h(name: str, kind: int, raw: bytes) -> bytes:
        return bytes([len(name)]) + name.encode() + bytes([kind]) + raw

    headers = b"".join(
        [
            h("t", 0, b""), h("f", 1, b""), h("i8", 2, struct.pack(">b", -5)), h("i16", 3, struct.pack(">h", -300)),
            h("i32", 4, struct.pack(">i", 70000)), h("i64", 5, struct.pack(">q", -(2**40))), h("bytes", 6, struct.pack(">H", 3) + b"\x00\xff\x10"),
            h("str", 7, struct.pack(">H", 4) + "h\u00e9y".encode()), h("ts", 8, struct.pack(">q", 1700000000123)), h("uuid", 9, uid.bytes),
            h(":event-type", 7, struct.pack(">H", 4) + b"ping"),
        ]
    )
    payload = b'{"x":1}'
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    msg = prelude + headers + payload
    msg += struct.pack(">I", zlib.crc32(msg))
    (frame,) = decode([msg])
    assert frame.event == "ping" and frame.text == '{"x":1}'
    assert frame.headers == {
        "t": True, "f": False, "i8": -5, "i16": -300, "i32": 70000, "i64": -(2**40), "bytes": "AP8Q",
        "str": "h\u00e9y", "ts": 1700000000123, "uuid": str(uid), ":event-type": "ping",
    }


def test_encoder_round_trip() -> None:
    uid = uuid.uuid4()
    msg = encode_message({"s": "v", "b": True, "n": 7, "raw": b"\x01", "id": uid}, b"")
    (frame,) = decode([msg])
    assert frame.headers == {"s": "v", "b": True, "n": 7, "raw": "AQ==", "id": str(uid)}
    assert frame.text == "{}"  # an empty payload reads as an empty JSON object
    assert frame.event is None


# --------------------------------------------------------------------------- message kinds
def test_exception_message_is_named_by_its_exception_type() -> None:
    """``:message-type: exception`` (botocore ``EventStream`` raises ``EventStreamError`` from it):
    the frame's event is ``:exception-type`` and the JSON payload carries the message."""
    msg = encode_message(
        {":exception-type": "throttlingException", ":content-type": "application/json", ":message-type": "exception"},
        b'{"message":"Too many requests, please wait before trying again."}',
    )
    (frame,) = decode([event("messageStart", {"role": "assistant"}) + msg])[1:]
    assert frame.event == "throttlingException"
    assert frame.headers[":message-type"] == "exception"
    assert json.loads(frame.text)["message"].startswith("Too many requests")


def test_error_message_keeps_code_and_message_in_headers() -> None:
    msg = encode_message({":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom"}, b"")
    (frame,) = decode([msg])
    assert frame.event == "InternalFailure" and frame.text == "{}"
    assert frame.headers[":error-message"] == "boom"


def test_invalid_utf8_payload_is_replaced() -> None:
    msg = encode_message({":event-type": "chunk"}, b'{"t":"\xff"}')
    assert decode([msg])[0].text == '{"t":"\ufffd"}'


# --------------------------------------------------------------------------- errors
def test_prelude_crc_checked_before_lengths_are_trusted() -> None:
    msg = bytearray(event("messageStart", {"role": "assistant"}))
    msg[0:4] = struct.pack(">I", 2**32 - 1)  # a huge length with the old prelude CRC
    with pytest.raises(FramingError, match="prelude checksum") as info:
        decode([bytes(msg[:12])])
    assert info.value.offset == 0


def test_message_crc_is_checked() -> None:
    good = event("messageStart", {"role": "assistant"})
    bad = bytearray(event("contentBlockDelta", {"delta": {"text": "hi"}}))
    bad[-6] ^= 0x01  # inside the payload
    with pytest.raises(FramingError, match="message checksum") as info:
        decode([good + bytes(bad)])
    assert info.value.offset == len(good)
    assert [f.event for f in info.value.frames] == ["messageStart"]  # delivered before the error


def _prelude(total: int, headers_len: int) -> bytes:
    head = struct.pack(">II", total, headers_len)
    return head + struct.pack(">I", zlib.crc32(head))


def test_header_and_payload_caps_use_botocore_bounds() -> None:
    assert MAX_HEADERS_BYTES == 128 * 1024 and MAX_PAYLOAD_BYTES == 24 * 1024 * 1024
    with pytest.raises(FramingError, match="headers of 131073 bytes"):
        decode([_prelude(16 + 131073, 131073)])
    with pytest.raises(FramingError, match="payload of 25165825 bytes"):
        decode([_prelude(16 + 25165825, 0)])
    assert EventStreamFraming().decode(_prelude(16 + MAX_PAYLOAD_BYTES, 0)) == []  # at the cap: waits for the bytes
    assert EventStreamFraming().decode(_prelude(16 + MAX_HEADERS_BYTES, MAX_HEADERS_BYTES)) == []
    with pytest.raises(FramingError, match="too small"):
        decode([_prelude(12, 0)])
    with pytest.raises(FramingError, match="payload of 101 bytes exceeds the maximum of 100"):
        decode([encode_message({}, b"x" * 101)], max_frame_bytes=100)


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        (b"\x00", "header name"),
        (b"\x05ab", "header name"),
        (b"\x01a\x0f", "unknown value type 15"),
        (b"\x01a\x07\x00\x09abc", "runs past"),
        (b"\x01a\x04\x00\x00", "runs past"),
        (b"\x01a\x09" + b"\x00" * 4, "runs past"),
        (b"\x01a\x00\x01a\x01", "duplicate header 'a'"),
        (b"\x02\xff\xfe\x00", "not valid UTF-8"),
        (b"\x01a", "runs past"),
    ],
)
def test_malformed_headers(headers: bytes, fragment: str) -> None:
    total = 12 + len(headers) + 4
    msg = _prelude(total, len(headers)) + headers
    msg += struct.pack(">I", zlib.crc32(msg))
    with pytest.raises(FramingError, match=fragment):
        decode([msg])


def test_truncated_body_is_incomplete_after_the_complete_messages() -> None:
    """A cut at every byte: the messages wholly before it are delivered; flush raises
    IncompleteStreamError unless the cut falls between two messages."""
    body = BODIES[0].read_bytes()
    bounds = [0]
    while bounds[-1] < len(body):
        bounds.append(bounds[-1] + struct.unpack_from(">I", body, bounds[-1])[0])
    for cut in range(1, len(body)):
        f = EventStreamFraming()
        frames = f.decode(body[:cut])
        assert len(frames) == sum(1 for b in bounds[1:] if b <= cut)
        if cut in bounds:
            assert f.flush() == []
        else:
            with pytest.raises(IncompleteStreamError, match="ended inside a message"):
                f.flush()


def test_empty_body() -> None:
    assert decode([]) == []
    assert EventStreamFraming().decode(b"") == []


# --------------------------------------------------------------------------- Bedrock InvokeModel chunks
def _chunk(inner: bytes) -> bytes:
    payload = json.dumps({"bytes": base64.b64encode(inner).decode(), "p": "abc"}).encode()
    return encode_message({":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}, payload)


def payload_decode(chunks: list[bytes]) -> list[Frame]:
    f = PayloadChunkFraming()
    out: list[Frame] = []
    for c in chunks:
        out += f.decode(c)
    return out + f.flush()


def test_payload_chunks_are_decoded_and_named_by_type() -> None:
    """InvokeModelWithResponseStream ``chunk`` events (PayloadPart ``bytes``, base64 in the JSON payload):
    the inner Anthropic event becomes the frame, named by its ``type``; a Llama/Titan chunk has no type;
    exception messages pass through unchanged."""
    anthropic = b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"h\xc3\xa9"}}'
    llama = b'{"generation":"Hi","stop_reason":null}'
    exc = encode_message({":exception-type": "throttlingException", ":message-type": "exception"}, b'{"message":"slow down"}')
    body = _chunk(anthropic) + _chunk(llama) + exc
    frames = payload_decode([body])
    assert [(f.event, f.text) for f in frames] == [
        ("content_block_delta", anthropic.decode()),
        (None, llama.decode()),
        ("throttlingException", '{"message":"slow down"}'),
    ]
    assert frames[0].headers is not None and frames[0].headers[":event-type"] == "chunk"
    assert payload_decode([body[i : i + 1] for i in range(len(body))]) == frames


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [(b'{"bytes": "***"}', "not base64"), (b"not json", "not JSON"), (b'{"other": 1}', "no base64 `bytes`"), (b'{"bytes": 5}', "no base64 `bytes`")],
)
def test_payload_chunk_errors(payload: bytes, fragment: str) -> None:
    msg = encode_message({":event-type": "chunk", ":message-type": "event"}, payload)
    with pytest.raises(FramingError, match=fragment):
        payload_decode([msg])


def test_payload_chunk_with_non_json_inner_text_is_kept() -> None:
    (frame,) = payload_decode([_chunk(b"plain \xff text")])
    assert frame.event is None and frame.text == "plain \ufffd text"
