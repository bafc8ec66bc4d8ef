"""Unit tests for :mod:`specwire.framing.sse` (incremental Server-Sent Events decoding).

What this protects: the SSE rows of the docs/RELIABILITY.md checklist (``sse_line_endings_property``,
``sse_unicode_separators``, ``sse_multibyte_split``, ``sse_invalid_utf8``, ``sse_comments_pings``,
``sse_bom``, ``sse_event_missing_data``, ``sse_line_too_long``) and the framing contract of
docs/ARCHITECTURE.md section 5: the frames must not depend on how the body was cut into reads.

Why unit tests and not replay tests: the recorded fixtures are all LF-terminated, valid UTF-8,
BOM-less bodies from three providers; CR/CRLF line endings, code points split across reads,
invalid bytes, U+2028 inside JSON, oversize lines and arbitrary partitions of arbitrary streams
occur in the wild but not in the corpus, so they are generated or hand-written here.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specwire.errors import FramingError, StreamError
from specwire.framing.base import Frame
from specwire.framing.sse import SSEFraming


def decode(chunks: list[bytes], **limits: int) -> list[Frame]:
    f = SSEFraming(**limits)
    out: list[Frame] = []
    for chunk in chunks:
        out += f.decode(chunk)
    out += f.flush()
    return out


def whole(body: bytes, **limits: int) -> list[Frame]:
    return decode([body], **limits)


def bytewise(body: bytes, **limits: int) -> list[Frame]:
    return decode([body[i : i + 1] for i in range(len(body))], **limits)


def texts(frames: list[Frame]) -> list[str]:
    return [f.text for f in frames]


# --------------------------------------------------------------------------- line endings
@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_each_line_ending(eol: bytes) -> None:
    body = b"event: delta" + eol + b'data: {"a":1}' + eol + eol + b"data: x" + eol + b"data: y" + eol + eol
    for frames in (whole(body), bytewise(body)):
        assert [(f.event, f.text) for f in frames][0] == ("delta", '{"a":1}')
        assert texts(frames) == ['{"a":1}', "x\ny"]


def test_mixed_line_endings() -> None:
    body = b"data: a\r\rdata: b\r\n\r\ndata: c\n\ndata: d\r\n\ndata: e\n\r\n"
    assert texts(whole(body)) == ["a", "b", "c", "d", "e"]
    assert texts(bytewise(body)) == ["a", "b", "c", "d", "e"]


def test_crlf_split_between_reads_is_one_line_ending() -> None:
    # a CR at the end of one read and the LF at the start of the next must not make an empty line
    assert texts(decode([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"])) == ["a\nb"]


# --------------------------------------------------------------------------- comments, pings, fields
def test_comments_produce_nothing() -> None:
    body = b": ping\n\n: another comment\ndata: x\n\n:\n\n"
    assert texts(whole(body)) == ["x"]


def test_named_ping_event_is_delivered_as_a_named_frame() -> None:
    # `event: ping` with data is a real event: the spec's rules decide to ignore it
    frames = whole(b"event: ping\ndata: {\"type\": \"ping\"}\n\nevent: content_block_delta\ndata: {}\n\n")
    assert [(f.event, f.text) for f in frames] == [("ping", '{"type": "ping"}'), ("content_block_delta", "{}")]


def test_data_only_event_has_no_event_name() -> None:
    # Frame contract: ``event`` is ``None`` when the SSE event has no ``event:`` field.
    frames = whole(b'data: {"choices": []}\n\n')
    assert frames == [Frame(None, '{"choices": []}')]


def test_event_name_does_not_leak_into_the_next_event() -> None:
    frames = whole(b"event: a\ndata: 1\n\ndata: 2\n\n")
    assert frames[0].event == "a"
    assert frames[1].event != "a"


def test_field_parsing_details() -> None:
    body = b"data:no-space\n\ndata:  two spaces\n\nid: 7\nretry: 100\nfoo: bar\ndata: z\n\n"
    assert texts(whole(body)) == ["no-space", " two spaces", "z"]


def test_multiple_data_lines_are_joined_with_newlines() -> None:
    assert texts(whole(b"data: a\ndata:\ndata: b\n\n")) == ["a\n\nb"]


@pytest.mark.parametrize("body", [b"event: x\n\n", b"id: 1\n\n", b"retry: 5\n\n", b"data:\n\n", b"data\n\n", b"event: x\ndata:\n\n"])
def test_event_without_data_is_skipped(body: bytes) -> None:
    assert whole(body) == []
    assert texts(whole(body + b"data: after\n\n")) == ["after"]


# --------------------------------------------------------------------------- bytes and text
def test_bom_is_dropped() -> None:
    body = b"\xef\xbb\xbfdata: x\n\n"
    assert texts(whole(body)) == ["x"]
    assert texts(bytewise(body)) == ["x"]
    assert texts(decode([b"\xef", b"\xbb", b"\xbfdata: x\n\n"])) == ["x"]


def test_only_a_leading_bom_is_dropped() -> None:
    assert texts(whole(b"data: x\n\ndata: \xef\xbb\xbfy\n\n")) == ["x", "\ufeffy"]


def test_unicode_line_separator_inside_json_stays_one_event() -> None:
    body = b'data: {"t":"a\xe2\x80\xa8b"}\n\n'
    for frames in (whole(body), bytewise(body)):
        assert len(frames) == 1
        assert json.loads(frames[0].text) == {"t": "a\u2028b"}


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c"])
def test_other_unicode_line_breaks_do_not_split_lines(sep: str) -> None:
    body = f"data: a{sep}b\n\n".encode()
    assert texts(whole(body)) == [f"a{sep}b"]


def test_multibyte_utf8_split_inside_a_code_point() -> None:
    text = "известни 日本語 🎉"
    body = f"data: {text}\n\n".encode()
    assert texts(bytewise(body)) == [text]
    cut = body.index("日".encode()) + 1  # inside the 3-byte sequence
    assert texts(decode([body[:cut], body[cut:]])) == [text]


def test_invalid_utf8_becomes_replacement_character() -> None:
    body = b"data: a\xff\xfeb\n\n"
    assert texts(whole(body)) == ["a\ufffd\ufffdb"]
    assert texts(bytewise(body)) == ["a\ufffd\ufffdb"]


def test_truncated_code_point_at_the_end_becomes_replacement_character() -> None:
    assert texts(decode([b"data: a\xe6\x97"])) == ["a\ufffd"]


# --------------------------------------------------------------------------- end of body
def test_last_event_without_closing_blank_line_is_delivered_at_flush() -> None:
    f = SSEFraming()
    assert texts(f.decode(b"data: a\n\ndata: b")) == ["a"]
    assert texts(f.flush()) == ["b"]


@pytest.mark.parametrize("tail", [b"data: b", b"data: b\n", b"data: b\r", b"data: b\r\n"])
def test_unterminated_last_event_variants(tail: bytes) -> None:
    assert texts(whole(b"data: a\n\n" + tail)) == ["a", "b"]
    assert texts(bytewise(b"data: a\n\n" + tail)) == ["a", "b"]


def test_empty_body_and_blank_lines_produce_nothing() -> None:
    assert whole(b"") == []
    assert whole(b"\n\n\r\n\r") == []


# --------------------------------------------------------------------------- caps
def test_line_without_newline_over_the_cap_raises_framing_error() -> None:
    f = SSEFraming(max_frame_bytes=64)
    f.decode(b"data: " + b"x" * 50)
    with pytest.raises(FramingError) as info:
        f.decode(b"x" * 50)
    assert isinstance(info.value, StreamError)
    assert info.value.offset is not None


def test_line_cap_is_enforced_one_byte_at_a_time() -> None:
    f = SSEFraming(max_frame_bytes=64)
    with pytest.raises(FramingError):
        for _ in range(200):
            f.decode(b"x")


def test_complete_long_line_raises() -> None:
    with pytest.raises(FramingError):
        whole(b"data: " + b"x" * 100 + b"\n\n", max_frame_bytes=64)


def test_event_data_cap_across_many_short_lines() -> None:
    body = b"".join(b"data: " + b"x" * 10 + b"\n" for _ in range(10)) + b"\n"
    with pytest.raises(FramingError, match="data"):
        whole(body, max_frame_bytes=64)


def test_under_the_caps_is_fine() -> None:
    body = b"data: " + b"x" * 50 + b"\n\n"
    assert texts(whole(body, max_frame_bytes=64)) == ["x" * 50]


# --------------------------------------------------------------------------- partition invariance
FIELD_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
    max_size=12,
)
EOL = st.sampled_from(["\n", "\r", "\r\n"])


@st.composite
def sse_bodies(draw: st.DrawFn) -> bytes:
    """A valid SSE body: events of data / event / id / retry / comment lines, any line endings
    (mixed), optional BOM, optional missing final blank line."""
    out: list[str] = []
    if draw(st.booleans()):
        out.append("\ufeff")
    for _ in range(draw(st.integers(0, 6))):
        lines = draw(
            st.lists(
                st.one_of(
                    FIELD_TEXT.map(lambda t: "data: " + t),
                    FIELD_TEXT.map(lambda t: "data:" + t),
                    st.sampled_from(["event: delta", "event: ping", "id: 1", "retry: 10", ": ping", "data", "data:"]),
                    FIELD_TEXT.map(lambda t: ":" + t),
                ),
                min_size=1,
                max_size=4,
            )
        )
        for line in lines:
            out.append(line + draw(EOL))
        out.append(draw(EOL))
    if draw(st.booleans()):
        out.append("data: tail" + (draw(EOL) if draw(st.booleans()) else ""))
    return "".join(out).encode("utf-8")


@st.composite
def partitions(draw: st.DrawFn, body: bytes) -> list[bytes]:
    if not body:
        return [b""]
    cuts = sorted(set(draw(st.lists(st.integers(0, len(body)), max_size=12))))
    edges = [0, *cuts, len(body)]
    return [body[a:b] for a, b in zip(edges, edges[1:])]


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_partition_gives_identical_frames(data: st.DataObject) -> None:
    body = data.draw(sse_bodies())
    reference = whole(body)
    assert bytewise(body) == reference
    assert decode(data.draw(partitions(body))) == reference


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40), eol=EOL)
def test_data_round_trips_for_any_text(text: str, eol: str) -> None:
    body = f"data: {text}{eol}{eol}".encode()
    assert texts(bytewise(body)) == ([text] if text else [])


# ---------------------------------------------------------------------------- the caps at their limits
@pytest.mark.parametrize(("size", "ok"), [(63, True), (64, True), (65, False)])
def test_line_cap_at_the_limit(size: int, ok: bool) -> None:
    line = b"data: " + b"x" * (size - 6)  # the line is `size` bytes
    for body in (line + b"\n\n", line):  # complete, and still unfinished when the body ends
        if ok:
            assert texts(whole(body, max_frame_bytes=64)) == ["x" * (size - 6)]
        else:
            with pytest.raises(FramingError):
                whole(body, max_frame_bytes=64)


@pytest.mark.parametrize(("size", "ok"), [(63, True), (64, True), (65, False)])
def test_event_data_cap_at_the_limit(size: int, ok: bool) -> None:
    # two data lines joined by LF: `size` characters of data in all
    first = "a" * 20
    second = "b" * (size - 21)
    body = f"data: {first}\ndata: {second}\n\n".encode()
    if ok:
        assert texts(whole(body, max_frame_bytes=64)) == [first + "\n" + second]
    else:
        with pytest.raises(FramingError):
            whole(body, max_frame_bytes=64)


# ---------------------------------------------------------------------------- against the standard
def reference(body: bytes) -> list[tuple[str | None, str]]:
    """The WHATWG event-stream interpretation written plainly, on the whole body at once
    (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
    plus the delivered unterminated last event and the dropped empty-data events of the module
    docstring."""
    import re

    text = body.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    out: list[tuple[str | None, str]] = []
    data: list[str] | None = None
    event: str | None = None
    for line in [*re.split(r"\r\n|\r|\n", text), ""]:
        if line == "":
            if data is not None and "\n".join(data):
                out.append((event, "\n".join(data)))
            data, event = None, None
        elif line.startswith(":"):
            continue
        else:
            name, colon, value = line.partition(":")
            value = value[1:] if colon and value.startswith(" ") else value
            if name == "data":
                data = [*(data or []), value]
            elif name == "event":
                event = value or None
    return out


_PIECES = st.sampled_from([
    b"data: ", b"data:", b"data", b"event: ", b"event:", b"id: 7", b"retry: 10", b": ping", b":", b"x", b"{\"a\": 1}",
    b"\r", b"\n", b"\r\n", b"\n\n", " \u2028 \u0085 é ".encode(), b"\xe2\x82", b"\xac", b"\xff", b"\xef\xbb\xbf", b" ",
])


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(_PIECES, max_size=40), cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_equals_the_standard_on_any_stream_cut_anywhere(pieces: list[bytes], cuts: list[int]) -> None:
    body = b"".join(pieces)
    points = sorted({c for c in cuts if c <= len(body)})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)])]
    got = [(f.event, f.text) for f in decode(chunks)]
    assert got == reference(body)


# ---------------------------------------------------------------------------- edges the mutation run found (tools/mutation)
def test_a_blank_line_without_data_forgets_the_event_name() -> None:
    # the dispatch step of an event with no data resets the name: the next event has none
    assert whole(b"event: a\n\ndata: 1\n\n") == [Frame(None, "1")]
    assert whole(b"event: a\ndata: 1\n\ndata: 2\n\n") == [Frame("a", "1"), Frame(None, "2")]


def test_a_byte_order_mark_counts_only_as_the_first_bytes_of_the_body() -> None:
    # anywhere else the BOM is part of the line: "\ufeffdata" is an unknown field, ignored
    assert whole(b"\n\xef\xbb\xbfdata: x\n\ndata: y\n\n") == [Frame(None, "y")]
    assert decode([b"data: x\n\n", b"\xef\xbb\xbfdata: y\n\n"]) == [Frame(None, "x")]


def test_the_last_event_delivered_at_flush_keeps_its_name_and_all_its_lines() -> None:
    f = SSEFraming()
    assert f.decode(b"event: done\ndata: a\ndata: b\n") == []
    assert f.flush() == [Frame("done", "a\nb")]


def test_the_data_cap_starts_afresh_with_each_event() -> None:
    full = b"data:" + b"a" * 10 + b"\ndata:" + b"b" * 10 + b"\n\n"  # 21 characters of data: at the cap
    assert texts(whole(full + full + full, max_frame_bytes=21)) == ["a" * 10 + "\n" + "b" * 10] * 3
    assert texts(bytewise(full + full, max_frame_bytes=21)) == ["a" * 10 + "\n" + "b" * 10] * 2


def test_a_framing_error_names_the_cap_and_the_bytes_received_so_far() -> None:
    f = SSEFraming(max_frame_bytes=64)
    assert f.decode(b"data: a\n\n") == [Frame(None, "a")]
    f.decode(b"data: " + b"x" * 30)
    with pytest.raises(FramingError) as info:
        f.decode(b"x" * 40)
    assert info.value.offset == 9 + 36 + 40
    assert str(info.value) == "SSE line longer than 64 bytes (at byte 85)"
    with pytest.raises(FramingError) as info:
        SSEFraming(max_frame_bytes=64).decode(b"data: " + b"x" * 70 + b"\n")
    assert (str(info.value), info.value.offset) == ("SSE line longer than 64 bytes (at byte 77)", 77)
    with pytest.raises(FramingError) as info:
        SSEFraming(max_frame_bytes=12).decode(b"data: 123456\ndata: 789012\n")  # each line within the cap, the data not
    assert str(info.value) == "SSE event data larger than 12 characters (at byte 26)"


def test_frames_completed_before_a_framing_error_ride_on_it() -> None:
    with pytest.raises(FramingError) as info:
        SSEFraming(max_frame_bytes=16).decode(b"data: a\n\ndata: " + b"x" * 20 + b"\n\n")
    assert info.value.frames == [Frame(None, "a")]
    f = SSEFraming(max_frame_bytes=16)
    assert f.decode(b"data: a\n\ndata: bbbbbbbb\ndata: cccccccc") == [Frame(None, "a")]  # the last line is within the line cap, the data not
    with pytest.raises(FramingError) as info:
        f.flush()
    assert info.value.frames == []
