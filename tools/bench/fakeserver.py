"""A loopback fake LLM provider for the benchmark (issue 6): cheap enough that the client dominates.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length or chunked request bodies) on a raw
``asyncio.Protocol`` (uvloop when installed) and answers from pre-built byte strings, so a request
costs the server a dictionary lookup and one ``transport.write``.  Wire shapes follow the recorded
corpus (tests/fixtures/): ids, ``obfuscation`` padding, usage chunks and separators as the real
services send them.

Routes (matched on the end of the path, so any prefix such as ``/v1`` works):

====================================  =====================================================
``…/chat/completions``                 OpenAI Chat Completions: JSON, or SSE when the body has
                                       ``"stream": true`` (role chunk, N content chunks, optional
                                       tool-call deltas, finish chunk, usage chunk, ``[DONE]``)
``…/messages``                         Anthropic Messages: JSON, or SSE (message_start …
                                       content_block_delta × N … message_stop)
``…/models/M:streamGenerateContent``   Gemini: one streamed JSON array (``?alt=sse``: SSE)
``…/models/M:generateContent``         Gemini non-stream JSON
``…/model/M/converse-stream``          Bedrock ConverseStream: AWS event-stream binary frames
``…/model/M/converse``                 Bedrock Converse JSON
``/_stats``                            ``{"requests": n, "connections": n, "cpu_s": …}`` of this
                                       server process (connections opened so far: pool reuse)
====================================  =====================================================

Shape knobs ride in a path prefix so each client can pick them through its ``base_url``:
``/bench/n<chunks>-s<chunk chars>-t<tool-call deltas>/…`` (e.g.
``http://127.0.0.1:PORT/bench/n2000-s4-t0/v1``); without it the command-line defaults apply.
Every stream event is its own HTTP chunk (``Transfer-Encoding: chunked``), as a real server
flushing per event would send it; the whole body is written at once, so the client's parsing,
not the server's pacing, sets the pace.

Run: ``python fakeserver.py --port 0`` prints ``PORT <n>`` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import struct
import sys
import zlib
from typing import Any

_STREAM_RE = re.compile(rb'"stream"\s*:\s*true')
_PREFIX_RE = re.compile(r"^/bench/n(\d+)-s(\d+)-t(\d+)(/.*)?$")
_WORDS = ("Lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor")
_PAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _text(i: int, size: int) -> str:
    """Deterministic ASCII text of exactly ``size`` characters for chunk ``i``."""
    out = ""
    k = i
    while len(out) < size:
        out += " " + _WORDS[k % len(_WORDS)]
        k += 7
    return out[:size]


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _chunked(pieces: list[bytes]) -> bytes:
    """HTTP/1.1 chunked transfer coding of ``pieces`` (one HTTP chunk each) plus the last chunk."""
    out = bytearray()
    for piece in pieces:
        if piece:
            out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    out += b"0\r\n\r\n"
    return bytes(out)


def _response(status: str, content_type: str, pieces: list[bytes], *, stream: bool) -> bytes:
    head = f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n"
    if stream:
        head += "cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
        return head.encode() + _chunked(pieces)
    body = b"".join(pieces)
    head += f"content-length: {len(body)}\r\n\r\n"
    return head.encode() + body


# --------------------------------------------------------------------------- OpenAI chat
_OAI_ID = "chatcmpl-Bench0000000000000000000000000"
_OAI_MODEL = "gpt-5.5-2026-08-01"
_TOOL_ARGS = '{"city": "Paris", "unit": "celsius", "days": 3, "detail": "hourly forecast please"}'


def _tool_fragments(t: int) -> list[str]:
    """The tool arguments split into ``t`` fragments (repeated to reach ``t`` if needed)."""
    if t <= 0:
        return []
    args = _TOOL_ARGS
    while len(args) < t:  # long argument string when many fragments are asked for
        args = args[:-1] + ', "more": "' + "x" * 16 + '"}'
    step = max(1, len(args) // t)
    frags = [args[i * step:(i + 1) * step] for i in range(t - 1)]
    frags.append(args[(t - 1) * step:])
    return frags


def openai_json(n: int, size: int, t: int) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": "".join(_text(i, size) for i in range(min(n, 64))), "refusal": None, "annotations": []}
    if t:
        message["tool_calls"] = [{"id": "call_bench0001", "type": "function", "function": {"name": "get_weather", "arguments": _TOOL_ARGS}}]
    body = {
        "id": _OAI_ID, "object": "chat.completion", "created": 1795000000, "model": _OAI_MODEL,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "tool_calls" if t else "stop"}],
        "usage": {"prompt_tokens": 78, "completion_tokens": min(n, 64), "total_tokens": 78 + min(n, 64),
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
        "service_tier": "default", "system_fingerprint": "fp_bench00001",
    }
    return _response("200 OK", "application/json", [_dumps(body).encode()], stream=False)


def openai_sse(n: int, size: int, t: int) -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None = None, i: int = 0) -> bytes:
        obj = {"id": _OAI_ID, "object": "chat.completion.chunk", "created": 1795000000, "model": _OAI_MODEL,
               "service_tier": "default", "system_fingerprint": "fp_bench00001",
               "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
               "usage": None, "obfuscation": _PAD[: 3 + i % 9]}
        return b"data: " + _dumps(obj).encode() + b"\n\n"

    pieces = [chunk({"role": "assistant", "content": "", "refusal": None})]
    pieces += [chunk({"content": _text(i, size)}, i=i) for i in range(n)]
    for j, frag in enumerate(_tool_fragments(t)):
        call: dict[str, Any] = {"index": 0, "function": {"arguments": frag}}
        if j == 0:
            call = {"index": 0, "id": "call_bench0001", "type": "function", "function": {"name": "get_weather", "arguments": frag}}
        pieces.append(chunk({"tool_calls": [call]}, i=j))
    pieces.append(chunk({}, "tool_calls" if t else "stop"))
    usage = {"id": _OAI_ID, "object": "chat.completion.chunk", "created": 1795000000, "model": _OAI_MODEL,
             "service_tier": "default", "system_fingerprint": "fp_bench00001", "choices": [],
             "usage": {"prompt_tokens": 78, "completion_tokens": n, "total_tokens": 78 + n,
                       "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                       "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
             "obfuscation": "dhWUdLZO659"}
    pieces.append(b"data: " + _dumps(usage).encode() + b"\n\n")
    pieces.append(b"data: [DONE]\n\n")
    return _response("200 OK", "text/event-stream; charset=utf-8", pieces, stream=True)


# --------------------------------------------------------------------------- Anthropic messages
_ANT_ID = "msg_01BenchBenchBenchBenchBench"
_ANT_MODEL = "claude-sonnet-5-5"


def anthropic_json(n: int, size: int, t: int) -> bytes:
    content: list[dict[str, Any]] = [{"type": "text", "text": "".join(_text(i, size) for i in range(min(n, 64)))}]
    if t:
        content.append({"type": "tool_use", "id": "toolu_01Bench", "name": "get_weather", "input": json.loads(_TOOL_ARGS)})
    body = {"id": _ANT_ID, "type": "message", "role": "assistant", "model": _ANT_MODEL, "content": content,
            "stop_reason": "tool_use" if t else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 377, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": min(n, 64), "service_tier": "standard"}}
    return _response("200 OK", "application/json", [_dumps(body).encode()], stream=False)


def anthropic_sse(n: int, size: int, t: int) -> bytes:
    def ev(name: str, obj: dict[str, Any]) -> bytes:
        return b"event: " + name.encode() + b"\ndata: " + _dumps(obj).encode() + b"\n\n"

    pieces = [
        ev("message_start", {"type": "message_start", "message": {"id": _ANT_ID, "type": "message", "role": "assistant", "model": _ANT_MODEL, "content": [],
                                                                     "stop_reason": None, "stop_sequence": None,
                                                                     "usage": {"input_tokens": 377, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1, "service_tier": "standard"}}}),
        ev("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ev("ping", {"type": "ping"}),
    ]
    pieces += [ev("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": _text(i, size)}}) for i in range(n)]
    pieces.append(ev("content_block_stop", {"type": "content_block_stop", "index": 0}))
    if t:
        pieces.append(ev("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_01Bench", "name": "get_weather", "input": {}}}))
        pieces += [ev("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": f}}) for f in _tool_fragments(t)]
        pieces.append(ev("content_block_stop", {"type": "content_block_stop", "index": 1}))
    pieces.append(ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use" if t else "end_turn", "stop_sequence": None}, "usage": {"output_tokens": n}}))
    pieces.append(ev("message_stop", {"type": "message_stop"}))
    return _response("200 OK", "text/event-stream; charset=utf-8", pieces, stream=True)


# --------------------------------------------------------------------------- Gemini
def _gemini_chunk(i: int, parts: list[dict[str, Any]], n: int, finish: str | None) -> dict[str, Any]:
    cand: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    return {"candidates": [cand],
            "usageMetadata": {"promptTokenCount": 11, "candidatesTokenCount": i + 1, "totalTokenCount": 12 + i,
                              "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 11}]},
            "modelVersion": "gemini-3.5-flash", "responseId": "IopyaseNCL-s-8YP7urOoAY"}


def gemini_json(n: int, size: int, t: int) -> bytes:
    parts: list[dict[str, Any]] = [{"text": "".join(_text(i, size) for i in range(min(n, 64)))}]
    if t:
        parts.append({"functionCall": {"name": "get_weather", "args": json.loads(_TOOL_ARGS)}})
    body = _gemini_chunk(min(n, 64), parts, n, "STOP")
    return _response("200 OK", "application/json; charset=UTF-8", [json.dumps(body, indent=2).encode()], stream=False)


def _gemini_elements(n: int, size: int, t: int) -> list[dict[str, Any]]:
    elements = [_gemini_chunk(i, [{"text": _text(i, size)}], n, None) for i in range(n)]
    if t:  # Gemini sends a function call whole, in one part
        elements.append(_gemini_chunk(n, [{"functionCall": {"name": "get_weather", "args": json.loads(_TOOL_ARGS)}}], n, None))
    elements.append(_gemini_chunk(n, [{"text": ""}], n, "STOP"))
    return elements


def gemini_jsonarray(n: int, size: int, t: int) -> bytes:
    # As recorded (corpus gemini/jsonarray-*): pretty-printed elements, "\n,\r\n" between them.
    elements = [json.dumps(e, indent=2).encode() for e in _gemini_elements(n, size, t)]
    pieces = [b"[" + elements[0]] + [b"\n,\r\n" + e for e in elements[1:]] + [b"]"]
    return _response("200 OK", "application/json; charset=UTF-8", pieces, stream=True)


def gemini_sse(n: int, size: int, t: int) -> bytes:
    pieces = [b"data: " + _dumps(e).encode() + b"\r\n\r\n" for e in _gemini_elements(n, size, t)]
    return _response("200 OK", "text/event-stream", pieces, stream=True)


# --------------------------------------------------------------------------- Bedrock event stream
def eventstream_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One ``application/vnd.amazon.eventstream`` message (string headers only, CRC32 via zlib)."""
    hdr = bytearray()
    for name, value in headers.items():
        nb, vb = name.encode(), value.encode()
        hdr += struct.pack(">B", len(nb)) + nb + b"\x07" + struct.pack(">H", len(vb)) + vb
    total = 12 + len(hdr) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hdr))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + bytes(hdr) + payload
    return message + struct.pack(">I", zlib.crc32(message))


def _bedrock_event(kind: str, obj: dict[str, Any], i: int = 0) -> bytes:
    obj = {**obj, "p": _PAD[: 2 + (i * 7) % 50]}  # Bedrock pads payloads with a random-length "p"
    return eventstream_frame({":event-type": kind, ":content-type": "application/json", ":message-type": "event"}, _dumps(obj).encode())


def bedrock_stream(n: int, size: int, t: int) -> bytes:
    pieces = [_bedrock_event("messageStart", {"role": "assistant"})]
    pieces += [_bedrock_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": _text(i, size)}}, i) for i in range(n)]
    pieces.append(_bedrock_event("contentBlockStop", {"contentBlockIndex": 0}))
    if t:
        pieces.append(_bedrock_event("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_bench0001", "name": "get_weather"}}}))
        pieces += [_bedrock_event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": f}}}, j) for j, f in enumerate(_tool_fragments(t))]
        pieces.append(_bedrock_event("contentBlockStop", {"contentBlockIndex": 1}))
    pieces.append(_bedrock_event("messageStop", {"stopReason": "tool_use" if t else "end_turn"}))
    pieces.append(_bedrock_event("metadata", {"usage": {"inputTokens": 12, "outputTokens": n, "totalTokens": 12 + n}, "metrics": {"latencyMs": 321}}))
    return _response("200 OK", "application/vnd.amazon.eventstream", pieces, stream=True)


def bedrock_json(n: int, size: int, t: int) -> bytes:
    content: list[dict[str, Any]] = [{"text": "".join(_text(i, size) for i in range(min(n, 64)))}]
    if t:
        content.append({"toolUse": {"toolUseId": "tooluse_bench0001", "name": "get_weather", "input": json.loads(_TOOL_ARGS)}})
    body = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": "tool_use" if t else "end_turn",
            "usage": {"inputTokens": 12, "outputTokens": min(n, 64), "totalTokens": 12 + min(n, 64)}, "metrics": {"latencyMs": 321}}
    return _response("200 OK", "application/json", [_dumps(body).encode()], stream=False)


_NOT_FOUND = _response("404 Not Found", "application/json", [b'{"error":{"message":"no such route","type":"invalid_request_error"}}'], stream=False)


# --------------------------------------------------------------------------- server
class Server:
    def __init__(self, n: int, size: int, t: int) -> None:
        self.defaults = (n, size, t)
        self.cache: dict[tuple[str, int, int, int], bytes] = {}
        self.requests = 0
        self.connections = 0

    def body_for(self, path: str, query: str, request_body: bytes) -> bytes:
        """The full HTTP response for one request (built once per shape, then cached)."""
        n, size, t = self.defaults
        m = _PREFIX_RE.match(path)
        if m:
            n, size, t = int(m.group(1)), int(m.group(2)), int(m.group(3))
            path = m.group(4) or "/"
        stream = _STREAM_RE.search(request_body) is not None
        if path.endswith("/chat/completions"):
            kind = "openai_sse" if stream else "openai_json"
        elif path.endswith("/messages"):
            kind = "anthropic_sse" if stream else "anthropic_json"
        elif ":streamGenerateContent" in path:
            kind = "gemini_sse" if "alt=sse" in query else "gemini_jsonarray"
        elif ":generateContent" in path:
            kind = "gemini_json"
        elif path.endswith("/converse-stream"):
            kind = "bedrock_stream"
        elif path.endswith("/converse"):
            kind = "bedrock_json"
        elif path == "/_stats":
            ru = resource.getrusage(resource.RUSAGE_SELF)
            stats = {"requests": self.requests, "connections": self.connections, "cpu_s": ru.ru_utime + ru.ru_stime, "pid": os.getpid(), "loop": type(asyncio.get_running_loop()).__module__}
            return _response("200 OK", "application/json", [_dumps(stats).encode()], stream=False)
        else:
            return _NOT_FOUND
        key = (kind, n, size, t)
        data = self.cache.get(key)
        if data is None:
            data = self.cache[key] = _BUILDERS[kind](n, size, t)
        return data


_BUILDERS = {
    "openai_json": openai_json, "openai_sse": openai_sse,
    "anthropic_json": anthropic_json, "anthropic_sse": anthropic_sse,
    "gemini_json": gemini_json, "gemini_jsonarray": gemini_jsonarray, "gemini_sse": gemini_sse,
    "bedrock_json": bedrock_json, "bedrock_stream": bedrock_stream,
}


class HTTPProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 server side: pipelining-safe request loop over one connection."""

    __slots__ = ("buf", "server", "transport")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            lines = head.split("\r\n")
            try:
                _method, target, _version = lines[0].split(" ", 2)
            except ValueError:
                self._fail()
                return
            length = 0
            chunked = close = False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            start = end + 4
            if chunked:
                parsed = _dechunk(self.buf, start)
                if parsed is None:
                    return
                body, consumed = parsed
            else:
                if len(self.buf) < start + length:
                    return
                body, consumed = bytes(self.buf[start:start + length]), start + length
            del self.buf[:consumed]
            path, _, query = target.partition("?")
            self.server.requests += 1
            assert self.transport is not None
            self.transport.write(self.server.body_for(path, query, body))
            if close:
                self.transport.close()
                return

    def _fail(self) -> None:
        assert self.transport is not None
        self.transport.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        self.transport.close()


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    """A chunked request body starting at ``pos``: (body, end offset) or None when incomplete."""
    out = bytearray()
    while True:
        nl = buf.find(b"\r\n", pos)
        if nl < 0:
            return None
        size = int(bytes(buf[pos:nl]).split(b";")[0], 16)
        pos = nl + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n", pos)
            if trailer_end < 0:
                return None
            return bytes(out), trailer_end + 2
        if len(buf) < pos + size + 2:
            return None
        out += buf[pos:pos + size]
        pos += size + 2


async def serve(host: str, port: int, server: Server, ready: Any = None) -> None:
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(lambda: HTTPProtocol(server), host, port, backlog=4096, reuse_address=True)
    actual = srv.sockets[0].getsockname()[1]
    print(f"PORT {actual}", flush=True)
    if ready is not None:
        ready(actual)
    async with srv:
        await srv.serve_forever()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--chunks", type=int, default=2000, help="content chunks per stream (default 2000)")
    ap.add_argument("--chunk-size", type=int, default=4, help="characters of text per chunk (default 4)")
    ap.add_argument("--tool-deltas", type=int, default=0, help="tool-call argument deltas after the text (default 0)")
    ap.add_argument("--loop", choices=["auto", "asyncio", "uvloop"], default="auto")
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("fakeserver: loopback only")
    server = Server(args.chunks, args.chunk_size, args.tool_deltas)
    run: Any = asyncio.run
    if args.loop in ("auto", "uvloop"):
        try:
            import uvloop

            run = uvloop.run
        except ImportError:
            if args.loop == "uvloop":
                raise
    try:
        run(serve(args.host, args.port, server))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
