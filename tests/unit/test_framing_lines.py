"""Unit tests for :mod:`specwire.framing.lines`: ``ndjson`` (one JSON value per line) and ``json``
(a whole non-streaming body).

What this protects: the framing contract of docs/ARCHITECTURE.md section 5 (frames independent of how the
body was split into reads; UTF-8 kept whole across reads; a leading byte-order mark dropped) and
the size caps of docs/RELIABILITY.md T11 (``nonstream_body_cap``; NDJSON line length), which must hold
for every split of the input, not only for the split a test happens to use.

Why unit tests and not replay tests: no shipped spec streams NDJSON yet and the recorded JSON
bodies are small and clean, so oversize bodies, overlong lines, BOMs and reads that cut code points
only reach these decoders through hand-made inputs.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specwire.errors import FramingError
from specwire.framing.base import Frame
from specwire.framing.lines import JSONBodyFraming, NDJSONFraming


def run(framing, chunks: list[bytes]) -> list[Frame]:
    out: list[Frame] = []
    for chunk in chunks:
        out += framing.decode(chunk)
    out += framing.flush()
    return out


def bytewise(body: bytes) -> list[bytes]:
    return [body[i : i + 1] for i in range(len(body))]


def values(frames: list[Frame]) -> list[object]:
    return [json.loads(f.text) for f in frames]


# --------------------------------------------------------------------------- ndjson
def test_ndjson_one_frame_per_non_empty_line() -> None:
    body = b'{"a":1}\n{"b":2}\r\n\n   \n{"c":3}\n'
    for chunks in ([body], bytewise(body)):
        frames = run(NDJSONFraming(), chunks)
        assert values(frames) == [{"a": 1}, {"b": 2}, {"c": 3}]
        assert all(f.event is None for f in frames)


def test_ndjson_last_line_without_newline_is_delivered_at_flush() -> None:
    f = NDJSONFraming()
    assert values(f.decode(b'{"a":1}\n{"b"')) == [{"a": 1}]
    assert f.decode(b":2}") == []
    assert values(f.flush()) == [{"b": 2}]
    assert f.flush() == []  # flushing twice delivers nothing more


def test_ndjson_multibyte_split_inside_a_code_point() -> None:
    body = '{"t":"известни 日本 🎉"}\n'.encode()
    assert values(run(NDJSONFraming(), bytewise(body))) == [{"t": "известни 日本 🎉"}]


def test_ndjson_invalid_utf8_becomes_replacement_character() -> None:
    assert [f.text for f in run(NDJSONFraming(), [b'{"t":"\xff"}\n'])] == ['{"t":"\ufffd"}']


def test_ndjson_leading_bom_is_dropped() -> None:
    # every other framing drops a leading BOM; json.loads refuses a str that starts with one
    frames = run(NDJSONFraming(), [b'\xef\xbb\xbf{"a":1}\n{"b":2}\n'])
    assert values(frames) == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    "chunks",
    [
        [b"x" * 100],  # no newline at all
        [b"x" * 10] * 10,  # growing slowly
        [b"x" * 100 + b"\n"],  # the whole long line in one read, newline included
        [b'{"a":1}\n' + b"x" * 100],  # a long unfinished line after a short complete one
        [b'{"a":1}\n', b"x" * 100 + b"\n", b'{"b":2}\n'],
    ],
    ids=["no-newline", "slow", "one-read", "tail-after-newline", "middle-line"],
)
def test_ndjson_line_cap_holds_for_every_split(chunks: list[bytes]) -> None:
    with pytest.raises(FramingError, match="longer"):
        run(NDJSONFraming(max_frame_bytes=64), chunks)


def test_ndjson_line_cap_one_byte_at_a_time() -> None:
    with pytest.raises(FramingError):
        run(NDJSONFraming(max_frame_bytes=64), bytewise(b"x" * 100 + b"\n"))


def test_ndjson_lines_under_the_cap_are_fine() -> None:
    line = b'{"t":"' + b"x" * 50 + b'"}'
    assert values(run(NDJSONFraming(max_frame_bytes=64), [line + b"\n" + line + b"\n"])) == [{"t": "x" * 50}] * 2


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    items=st.lists(st.dictionaries(st.text(max_size=4), st.one_of(st.integers(), st.text(max_size=8)), max_size=3), max_size=6),
    eol=st.sampled_from([b"\n", b"\r\n"]),
    final_newline=st.booleans(),
    cuts=st.lists(st.integers(0, 2000), max_size=10),
)
def test_ndjson_any_split_gives_the_same_frames(items: list[dict], eol: bytes, final_newline: bool, cuts: list[int]) -> None:
    body = eol.join(json.dumps(i, ensure_ascii=False).encode() for i in items) + (eol if final_newline and items else b"")
    edges = [0, *sorted({c for c in cuts if c <= len(body)}), len(body)]
    chunks = [body[a:b] for a, b in zip(edges, edges[1:])]
    assert values(run(NDJSONFraming(), chunks)) == items
    assert values(run(NDJSONFraming(), bytewise(body))) == items


# --------------------------------------------------------------------------- json body
def test_json_body_is_one_frame_at_flush() -> None:
    f = JSONBodyFraming()
    assert f.decode(b'{"id": "x", ') == []
    assert f.decode(b'"t": "\xc3') == []
    assert f.decode(b'\xa9"}') == []
    assert f.flush() == [Frame(None, '{"id": "x", "t": "é"}')]


def test_json_body_bom_is_dropped() -> None:
    for chunks in ([b'\xef\xbb\xbf{"a":1}'], bytewise(b'\xef\xbb\xbf{"a":1}')):
        assert values(run(JSONBodyFraming(), chunks)) == [{"a": 1}]


def test_json_body_cap_is_exact() -> None:
    assert [f.text for f in run(JSONBodyFraming(max_body_bytes=10), [b"x" * 6, b"x" * 4])] == ["x" * 10]
    with pytest.raises(FramingError, match="larger"):
        run(JSONBodyFraming(max_body_bytes=10), [b"x" * 6, b"x" * 5])


def test_json_body_cap_is_checked_per_read_before_buffering_everything() -> None:
    f = JSONBodyFraming(max_body_bytes=1000)
    with pytest.raises(FramingError):
        for _ in range(10_000):  # would be 10 MB if nothing stopped it
            f.decode(b"x" * 1000)
    assert sum(len(c) for c in f._chunks) <= 1000


def test_empty_json_body_is_one_empty_frame() -> None:
    # an empty body is reported by the JSON parse downstream, not lost
    assert run(JSONBodyFraming(), []) == [Frame(None, "")]
