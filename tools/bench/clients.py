"""The benchmark's client adapters: specwire and the reference clients, one small class each.

Every adapter makes the same call, a one-message chat with ``max_output_tokens`` 256, against the
fake server (:mod:`fakeserver`), and consumes the result the way an application would:

* ``acomplete()`` / ``complete()``: a non-stream call; returns the reply text.
* ``astream(first)`` / ``stream(first)``: a streaming call, read to the end; returns the number of
  text deltas seen (specwire: ``text_delta`` events; the references: parsed chunks that carry
  text).  ``first`` (optional) is called at the first text delta (awaited in async): the harness
  uses it for time-to-first-event and to hold 500 streams open at once.

Adapters are built from a ``root`` URL, ``http://127.0.0.1:PORT/bench/n<chunks>-s<size>-t<tools>``,
which carries the stream shape (see fakeserver.py); ``pool`` raises the connection-pool limit
where the library has one (the 500-concurrent-streams test).

Reference clients are used as their documentation shows, with retries off and otherwise default
settings.  The SDKs' raw event streams (``create(stream=True)``) are used, not their accumulating
helpers.  Heavy imports happen inside each adapter's constructor, so the harness imports only
the library it measures.
"""

from __future__ import annotations

import inspect
import json
import struct
import warnings
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

PROMPT = [{"role": "user", "content": "Say hello in one short sentence."}]
MAX_TOKENS = 256
#: The model id of each wire shape.  Each must be in its spec's catalog: an unknown id costs a
#: did-you-mean search and a warning per call, which would be measured as specwire's own cost.
#: :class:`Specwire` refuses to run when the id resolves with any call warning (see
#: :class:`CatalogMismatch`); the reference clients send the same ids.
MODELS = {
    "openai": "gpt-5.5",
    "anthropic": "claude-sonnet-5-5",
    "gemini": "gemini-3.8-flash",
    "bedrock": "global.anthropic.claude-sonnet-5",  # providers.d/bedrock.yaml default_model
}
API_KEY = "sk-bench-not-a-real-key"

First = Callable[[], Any] | None


class NotAvailable(Exception):
    """This client cannot run here (missing spec, library or feature); the row shows the reason."""


class CatalogMismatch(RuntimeError):
    """specwire planned the benchmark call with warnings (an unknown or deprecated model id, a
    dropped or clamped parameter): the measurement would include their cost, so it is refused."""


async def _call_first(first: First) -> None:
    if first is not None:
        result = first()
        if inspect.isawaitable(result):
            await result


def _openai_body(stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": MODELS["openai"], "messages": PROMPT, "max_completion_tokens": MAX_TOKENS}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def _anthropic_body(stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": MODELS["anthropic"], "messages": PROMPT, "max_tokens": MAX_TOKENS}
    if stream:
        body["stream"] = True
    return body


def _gemini_body() -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": PROMPT[0]["content"]}]}], "generationConfig": {"maxOutputTokens": MAX_TOKENS}}


def _bedrock_body() -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": PROMPT[0]["content"]}]}], "inferenceConfig": {"maxTokens": MAX_TOKENS}}


# ----------------------------------------------------------------------------- hand parsers
def openai_text(obj: dict[str, Any]) -> str | None:
    choices = obj.get("choices")
    if choices:
        return choices[0]["delta"].get("content")
    return None


def anthropic_text(event: str, obj: dict[str, Any]) -> str | None:
    if event == "content_block_delta":
        delta = obj["delta"]
        if delta.get("type") == "text_delta":
            return delta["text"]
    return None


def gemini_text(obj: dict[str, Any]) -> str | None:
    cands = obj.get("candidates")
    if cands:
        parts = cands[0].get("content", {}).get("parts") or ()
        text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
        return text or None
    return None


class JSONArrayScanner:
    """Incremental reader of one streamed JSON array (Gemini): feed text, get whole elements."""

    def __init__(self) -> None:
        self.buf = ""
        self.dec = json.JSONDecoder()

    def feed(self, text: str) -> list[Any]:
        buf = self.buf + text
        out = []
        pos, end = 0, len(buf)
        while True:
            while pos < end and buf[pos] in "[,] \r\n\t":
                pos += 1
            if pos >= end:
                break
            try:
                obj, pos2 = self.dec.raw_decode(buf, pos)
            except json.JSONDecodeError:
                break
            out.append(obj)
            pos = pos2
        self.buf = buf[pos:]
        return out


class EventStreamScanner:
    """Incremental AWS event-stream decoder (Bedrock): feed bytes, get (headers, payload);
    both CRCs checked."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[dict[str, str], bytes]]:
        buf = self.buf
        buf += data
        out = []
        while len(buf) >= 12:
            total, hlen, pcrc = struct.unpack_from(">III", buf, 0)
            if len(buf) < total:
                break
            if zlib.crc32(buf[:8]) != pcrc or zlib.crc32(buf[: total - 4]) != struct.unpack_from(">I", buf, total - 4)[0]:
                raise ValueError("event-stream CRC mismatch")
            headers: dict[str, str] = {}
            pos, hend = 12, 12 + hlen
            while pos < hend:
                nlen = buf[pos]
                name = buf[pos + 1 : pos + 1 + nlen].decode()
                pos += 1 + nlen
                htype = buf[pos]
                if htype != 7:
                    raise ValueError(f"header type {htype} not handled")
                vlen = struct.unpack_from(">H", buf, pos + 1)[0]
                headers[name] = buf[pos + 3 : pos + 3 + vlen].decode()
                pos += 3 + vlen
            out.append((headers, bytes(buf[hend : total - 4])))
            del buf[:total]
        return out


# ----------------------------------------------------------------------------- raw httpx
class RawHttpx:
    """httpx + httpx-sse, hand-parsed JSON: the baseline every ratio is taken against."""

    sync_ok = True

    def __init__(self, root: str, api: str = "openai", pool: int | None = None) -> None:
        import httpx
        from httpx_sse import aconnect_sse, connect_sse

        self.httpx, self.aconnect_sse, self.connect_sse = httpx, aconnect_sse, connect_sse
        self.api = api
        limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool) if pool else httpx.Limits(max_connections=100, max_keepalive_connections=20)
        timeout = httpx.Timeout(600.0, connect=10.0)
        self.ac = httpx.AsyncClient(limits=limits, timeout=timeout)
        self.sc = httpx.Client(limits=limits, timeout=timeout)
        if api == "openai":
            self.url = root + "/v1/chat/completions"
            self.headers = {"authorization": f"Bearer {API_KEY}"}
        elif api == "anthropic":
            self.url = root + "/v1/messages"
            self.headers = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}
        elif api in ("gemini", "gemini-sse"):
            self.url = root + f"/v1beta/models/{MODELS['gemini']}:generateContent"
            self.stream_url = root + f"/v1beta/models/{MODELS['gemini']}:streamGenerateContent" + ("?alt=sse" if api == "gemini-sse" else "")
            self.headers = {"x-goog-api-key": API_KEY}
        elif api == "bedrock":
            self.url = root + f"/model/{MODELS['bedrock']}/converse"
            self.stream_url = root + f"/model/{MODELS['bedrock']}/converse-stream"
            self.headers = {"authorization": "AWS4-HMAC-SHA256 (not signed in the baseline)"}
        else:
            raise NotAvailable(f"raw httpx: unknown api {api}")

    def _body(self, stream: bool) -> dict[str, Any]:
        if self.api == "openai":
            return _openai_body(stream)
        if self.api == "anthropic":
            return _anthropic_body(stream)
        if self.api == "bedrock":
            return _bedrock_body()
        return _gemini_body()

    @staticmethod
    def _text(api: str, obj: dict[str, Any]) -> str:
        if api == "openai":
            return obj["choices"][0]["message"]["content"] or ""
        if api == "anthropic":
            return "".join(b.get("text", "") for b in obj["content"] if b["type"] == "text")
        if api == "bedrock":
            return "".join(b.get("text", "") for b in obj["output"]["message"]["content"])
        return gemini_text(obj) or ""

    async def acomplete(self) -> str:
        r = await self.ac.post(self.url, json=self._body(False), headers=self.headers)
        r.raise_for_status()
        return self._text(self.api, json.loads(r.content))

    def complete(self) -> str:
        r = self.sc.post(self.url, json=self._body(False), headers=self.headers)
        r.raise_for_status()
        return self._text(self.api, json.loads(r.content))

    async def astream(self, first: First = None) -> int:
        pieces: list[str] = []
        api = self.api
        if api in ("openai", "anthropic", "gemini-sse"):
            url = self.url if api != "gemini-sse" else self.stream_url
            async with self.aconnect_sse(self.ac, "POST", url, json=self._body(True), headers=self.headers) as es:
                es.response.raise_for_status()
                async for sse in es.aiter_sse():
                    if api == "openai":
                        if sse.data == "[DONE]":
                            continue  # read on to the end of the body: an unfinished body would cost the connection
                        text = openai_text(json.loads(sse.data))
                    elif api == "anthropic":
                        text = anthropic_text(sse.event, json.loads(sse.data))
                    else:
                        text = gemini_text(json.loads(sse.data))
                    if text:
                        pieces.append(text)
                        if len(pieces) == 1:
                            await _call_first(first)
        elif api == "gemini":
            scanner = JSONArrayScanner()
            async with self.ac.stream("POST", self.stream_url, json=self._body(True), headers=self.headers) as r:
                r.raise_for_status()
                async for chunk in r.aiter_text():
                    for obj in scanner.feed(chunk):
                        text = gemini_text(obj)
                        if text:
                            pieces.append(text)
                            if len(pieces) == 1:
                                await _call_first(first)
        else:  # bedrock
            es = EventStreamScanner()
            async with self.ac.stream("POST", self.stream_url, json=self._body(True), headers=self.headers) as r:
                r.raise_for_status()
                async for chunk in r.aiter_bytes():
                    for headers, payload in es.feed(chunk):
                        if headers.get(":event-type") == "contentBlockDelta":
                            text = json.loads(payload)["delta"].get("text")
                            if text:
                                pieces.append(text)
                                if len(pieces) == 1:
                                    await _call_first(first)
        "".join(pieces)
        return len(pieces)

    def stream(self, first: First = None) -> int:
        if self.api != "openai":
            raise NotAvailable("sync raw-httpx streams are implemented for the OpenAI shape only")
        pieces: list[str] = []
        with self.connect_sse(self.sc, "POST", self.url, json=self._body(True), headers=self.headers) as es:
            es.response.raise_for_status()
            for sse in es.iter_sse():
                if sse.data == "[DONE]":
                    continue
                text = openai_text(json.loads(sse.data))
                if text:
                    pieces.append(text)
                    if len(pieces) == 1 and first is not None:
                        first()
        "".join(pieces)
        return len(pieces)

    async def aclose(self) -> None:
        await self.ac.aclose()
        self.sc.close()


# ----------------------------------------------------------------------------- raw aiohttp
class RawAiohttp:
    """aiohttp with a hand-written line-based SSE reader: the transport ceiling in Python."""

    sync_ok = False

    def __init__(self, root: str, api: str = "openai", pool: int | None = None) -> None:
        import aiohttp

        if api != "openai":
            raise NotAvailable("raw aiohttp is measured on the OpenAI shape only")
        self.aiohttp = aiohttp
        self.url = root + "/v1/chat/completions"
        self.headers = {"authorization": f"Bearer {API_KEY}"}
        self.pool = pool or 100
        self.session: Any = None

    def _session(self) -> Any:
        if self.session is None:  # needs a running loop
            self.session = self.aiohttp.ClientSession(connector=self.aiohttp.TCPConnector(limit=self.pool))
        return self.session

    async def acomplete(self) -> str:
        async with self._session().post(self.url, json=_openai_body(False), headers=self.headers) as r:
            r.raise_for_status()
            obj = json.loads(await r.read())
        return obj["choices"][0]["message"]["content"] or ""

    async def astream(self, first: First = None) -> int:
        pieces: list[str] = []
        async with self._session().post(self.url, json=_openai_body(True), headers=self.headers) as r:
            r.raise_for_status()
            async for line in r.content:
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    break
                text = openai_text(json.loads(data))
                if text:
                    pieces.append(text)
                    if len(pieces) == 1:
                        await _call_first(first)
        "".join(pieces)
        return len(pieces)

    def complete(self) -> str:
        raise NotAvailable("aiohttp has no sync API")

    def stream(self, first: First = None) -> int:
        raise NotAvailable("aiohttp has no sync API")

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


# ----------------------------------------------------------------------------- specwire
class Specwire:
    """specwire's public API: ``specwire.Client(api_keys=…, base_urls=…)`` and its
    complete/acomplete/stream/astream, counting ``text_delta`` events."""

    sync_ok = True

    def __init__(self, root: str, api: str = "openai", pool: int | None = None, extra: dict[str, Any] | None = None) -> None:
        import specwire

        self.stream_mode = None
        provider = api
        if api == "gemini-sse":
            provider, self.stream_mode = "gemini", "sse"
        base = {"openai": root + "/v1", "anthropic": root + "/v1", "gemini": root + "/v1beta", "bedrock": ""}[provider]
        kwargs: dict[str, Any] = {"api_keys": {provider: API_KEY}, "base_urls": {provider: base}}
        params = inspect.signature(specwire.Client).parameters
        if "max_retries" in params:
            kwargs["max_retries"] = 0  # like the references (nothing fails here anyway)
        if provider == "bedrock":
            kwargs.update(self._bedrock(specwire, root, pool))
        if pool and provider != "bedrock":
            # specwire's pools hold 100 connections by default; 500 concurrent streams need more:
            # ``max_connections`` sizes every pool the Client creates (httpx's, or aiohttp's
            # connector with ``async_backend="aiohttp"``).
            kwargs["max_connections"] = pool
        kwargs.update(extra or {})
        self.client = specwire.Client(**kwargs)
        self.ref = f"{provider}:{MODELS[provider]}"
        self.opts = {"max_output_tokens": MAX_TOKENS}
        if self.stream_mode:
            self.sopts = {**self.opts, "stream_mode": self.stream_mode}
        else:
            self.sopts = dict(self.opts)
        self.check_plans()
        # and at run time: a warning of a measured call (issued once per call site) fails it
        warnings.filterwarnings("error", category=specwire.SpecwireWarning)

    def check_plans(self) -> None:
        """Build the non-stream and the stream call once (no I/O) and refuse to measure when
        either carries a call warning: an id missing from the catalog (did-you-mean search, cost
        unknown), a deprecated id, or a parameter the spec drops or clamps.  Raises
        :class:`CatalogMismatch` (an unknown provider raises specwire's own error)."""
        for stream, opts in ((False, self.opts), (True, self.sopts)):
            plan = self.client.build(self.ref, PROMPT, stream=stream, **opts)
            if plan.warnings:
                notes = "; ".join(f"{w.kind}: {w.detail}" for w in plan.warnings)
                raise CatalogMismatch(f"{self.ref} ({'stream' if stream else 'non-stream'}) plans with warnings, not measured: {notes}")

    @staticmethod
    def _bedrock(specwire: Any, root: str, pool: int | None) -> dict[str, Any]:
        """Bedrock: the aws-sigv4 hook (and its Bedrock API-key mode) only ever signs for a real
        ``bedrock-runtime.<region>.amazonaws.com`` URL over https (docs/RELIABILITY.md T8), so the
        Client keeps its real base URL and is given httpx transports (a public Client option)
        that deliver every request to the loopback fake server instead.  The rewrite costs a
        URL copy per request; nothing leaves the machine."""
        import httpx
        from specwire import hooks

        if "bedrock" not in specwire.Client(load_entry_points=False).registry.providers():
            raise NotAvailable("providers.d/bedrock.yaml does not exist yet")
        if "aws-eventstream" not in hooks.known("framing"):
            raise NotAvailable("the aws-eventstream framing is not registered")
        limits = httpx.Limits(max_connections=pool or 100, max_keepalive_connections=pool or 20)
        target = httpx.URL(root)

        def local(request: httpx.Request) -> None:
            request.url = request.url.copy_with(scheme="http", host=target.host, port=target.port,
                                                raw_path=target.raw_path + request.url.raw_path)

        class ToLoopback(httpx.HTTPTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                local(request)
                return super().handle_request(request)

        class AsyncToLoopback(httpx.AsyncHTTPTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                local(request)
                return await super().handle_async_request(request)

        return {"transport": ToLoopback(limits=limits), "async_transport": AsyncToLoopback(limits=limits), "base_urls": {}}

    async def acomplete(self) -> str:
        return (await self.client.acomplete(self.ref, PROMPT, **self.opts)).text

    def complete(self) -> str:
        return self.client.complete(self.ref, PROMPT, **self.opts).text

    async def astream(self, first: First = None) -> int:
        n = 0
        async with self.client.astream(self.ref, PROMPT, **self.sopts) as events:
            async for event in events:
                if event.type == "text_delta":
                    n += 1
                    if n == 1:
                        await _call_first(first)
        return n

    def stream(self, first: First = None) -> int:
        n = 0
        with self.client.stream(self.ref, PROMPT, **self.sopts) as events:
            for event in events:
                if event.type == "text_delta":
                    n += 1
                    if n == 1 and first is not None:
                        first()
        return n

    async def aclose(self) -> None:
        await self.client.aclose()


# ============================================================================ specwire+aiohttp
# specwire's optional aiohttp pool for the async API (the `aiohttp` extra):
# `Client(async_backend="aiohttp")`.
def _select_aiohttp_transport(specwire: Any) -> dict[str, Any]:
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise NotAvailable("aiohttp is not installed (pip install 'specwire[aiohttp]')") from None
    return {"async_backend": "aiohttp"}


class SpecwireAiohttp(Specwire):
    """specwire with its aiohttp pool (``Client(async_backend="aiohttp")``)."""

    sync_ok = False

    def __init__(self, root: str, api: str = "openai", pool: int | None = None) -> None:
        import specwire

        super().__init__(root, api, pool=pool, extra=_select_aiohttp_transport(specwire))




# ----------------------------------------------------------------------------- openai SDK
class OpenAISDK:
    """The official ``openai`` SDK (Chat Completions; raw chunk stream)."""

    sync_ok = True

    def __init__(self, root: str, api: str = "openai", pool: int | None = None) -> None:
        import openai

        if api != "openai":
            raise NotAvailable("openai SDK: OpenAI shape only")
        kw: dict[str, Any] = {"base_url": root + "/v1", "api_key": API_KEY, "max_retries": 0}
        self.ac = openai.AsyncOpenAI(**kw)
        self.sc = openai.OpenAI(**kw)

    async def acomplete(self) -> str:
        r = await self.ac.chat.completions.create(model=MODELS["openai"], messages=PROMPT, max_completion_tokens=MAX_TOKENS)  # type: ignore[arg-type]
        return r.choices[0].message.content or ""

    def complete(self) -> str:
        r = self.sc.chat.completions.create(model=MODELS["openai"], messages=PROMPT, max_completion_tokens=MAX_TOKENS)  # type: ignore[arg-type]
        return r.choices[0].message.content or ""

    async def astream(self, first: First = None) -> int:
        pieces: list[str] = []
        stream = await self.ac.chat.completions.create(model=MODELS["openai"], messages=PROMPT, max_completion_tokens=MAX_TOKENS,  # type: ignore[arg-type]
                                                       stream=True, stream_options={"include_usage": True})
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    pieces.append(chunk.choices[0].delta.content)
                    if len(pieces) == 1:
                        await _call_first(first)
        return len(pieces)

    def stream(self, first: First = None) -> int:
        pieces: list[str] = []
        stream = self.sc.chat.completions.create(model=MODELS["openai"], messages=PROMPT, max_completion_tokens=MAX_TOKENS,  # type: ignore[arg-type]
                                                 stream=True, stream_options={"include_usage": True})
        with stream:
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    pieces.append(chunk.choices[0].delta.content)
                    if len(pieces) == 1 and first is not None:
                        first()
        return len(pieces)

    async def aclose(self) -> None:
        await self.ac.close()
        self.sc.close()


# ----------------------------------------------------------------------------- anthropic SDK
class AnthropicSDK:
    """The official ``anthropic`` SDK (Messages; raw event stream)."""

    sync_ok = True

    def __init__(self, root: str, api: str = "anthropic", pool: int | None = None) -> None:
        import anthropic

        if api != "anthropic":
            raise NotAvailable("anthropic SDK: Anthropic shape only")
        kw: dict[str, Any] = {"base_url": root, "api_key": API_KEY, "max_retries": 0}
        self.ac = anthropic.AsyncAnthropic(**kw)
        self.sc = anthropic.Anthropic(**kw)

    async def acomplete(self) -> str:
        r = await self.ac.messages.create(model=MODELS["anthropic"], messages=PROMPT, max_tokens=MAX_TOKENS)  # type: ignore[arg-type]
        return "".join(b.text for b in r.content if b.type == "text")

    def complete(self) -> str:
        r = self.sc.messages.create(model=MODELS["anthropic"], messages=PROMPT, max_tokens=MAX_TOKENS)  # type: ignore[arg-type]
        return "".join(b.text for b in r.content if b.type == "text")

    async def astream(self, first: First = None) -> int:
        pieces: list[str] = []
        stream = await self.ac.messages.create(model=MODELS["anthropic"], messages=PROMPT, max_tokens=MAX_TOKENS, stream=True)  # type: ignore[arg-type]
        async with stream:
            async for event in stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    pieces.append(event.delta.text)
                    if len(pieces) == 1:
                        await _call_first(first)
        return len(pieces)

    def stream(self, first: First = None) -> int:
        pieces: list[str] = []
        stream = self.sc.messages.create(model=MODELS["anthropic"], messages=PROMPT, max_tokens=MAX_TOKENS, stream=True)  # type: ignore[arg-type]
        with stream:
            for event in stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    pieces.append(event.delta.text)
                    if len(pieces) == 1 and first is not None:
                        first()
        return len(pieces)

    async def aclose(self) -> None:
        await self.ac.close()
        self.sc.close()


# ----------------------------------------------------------------------------- LiteLLM
class LiteLLM:
    """LiteLLM ``acompletion``/``completion`` with ``api_base`` at the fake server (OpenAI shape).
    Runs from its own virtual environment (.venv-litellm): its pins conflict with the newest
    openai SDK."""

    sync_ok = True

    def __init__(self, root: str, api: str = "openai", pool: int | None = None) -> None:
        import os

        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the price map
        import litellm

        if api != "openai":
            raise NotAvailable("LiteLLM is measured on the OpenAI shape only")
        litellm.telemetry = False
        litellm.suppress_debug_info = True
        self.litellm = litellm
        self.kw: dict[str, Any] = {"model": "openai/" + MODELS["openai"], "api_base": root + "/v1", "api_key": API_KEY,
                                   "messages": PROMPT, "max_completion_tokens": MAX_TOKENS, "num_retries": 0}

    async def acomplete(self) -> str:
        r = await self.litellm.acompletion(**self.kw)
        return r.choices[0].message.content or ""

    def complete(self) -> str:
        r = self.litellm.completion(**self.kw)
        return r.choices[0].message.content or ""

    async def astream(self, first: First = None) -> int:
        pieces: list[str] = []
        stream = await self.litellm.acompletion(**self.kw, stream=True, stream_options={"include_usage": True})
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
                if len(pieces) == 1:
                    await _call_first(first)
        return len(pieces)

    def stream(self, first: First = None) -> int:
        pieces: list[str] = []
        for chunk in self.litellm.completion(**self.kw, stream=True, stream_options={"include_usage": True}):
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
                if len(pieces) == 1 and first is not None:
                    first()
        return len(pieces)

    async def aclose(self) -> None:
        close = getattr(self.litellm, "close_litellm_async_clients", None)
        if close is not None:
            await close()


# ----------------------------------------------------------------------------- registry
#: name -> (adapter class, api shape, virtual environment: "main" or "litellm")
CLIENTS: dict[str, tuple[type, str, str]] = {
    "aiohttp": (RawAiohttp, "openai", "main"),
    "httpx": (RawHttpx, "openai", "main"),
    "specwire": (Specwire, "openai", "main"),
    "specwire+aiohttp": (SpecwireAiohttp, "openai", "main"),
    "openai-sdk": (OpenAISDK, "openai", "main"),
    "anthropic-sdk": (AnthropicSDK, "anthropic", "main"),
    "specwire-anthropic": (Specwire, "anthropic", "main"),
    "litellm": (LiteLLM, "openai", "litellm"),
    # per-wire-API rows (stream table): specwire vs hand-parsed raw httpx on the same bytes
    "httpx-anthropic": (RawHttpx, "anthropic", "main"),
    "httpx-gemini": (RawHttpx, "gemini", "main"),
    "specwire-gemini": (Specwire, "gemini", "main"),
    "httpx-gemini-sse": (RawHttpx, "gemini-sse", "main"),
    "specwire-gemini-sse": (Specwire, "gemini-sse", "main"),
    "httpx-bedrock": (RawHttpx, "bedrock", "main"),
    "specwire-bedrock": (Specwire, "bedrock", "main"),
}

LABELS = {
    "aiohttp": "raw aiohttp (hand-parsed)",
    "httpx": "raw httpx + httpx-sse (hand-parsed)",
    "specwire": "specwire (openai spec)",
    "specwire+aiohttp": "specwire + aiohttp transport",
    "openai-sdk": "openai SDK",
    "anthropic-sdk": "anthropic SDK (Messages shape)",
    "specwire-anthropic": "specwire (anthropic spec)",
    "litellm": "LiteLLM",
    "httpx-anthropic": "raw httpx, Anthropic SSE",
    "httpx-gemini": "raw httpx, Gemini JSON array",
    "specwire-gemini": "specwire, Gemini JSON array",
    "httpx-gemini-sse": "raw httpx, Gemini SSE",
    "specwire-gemini-sse": "specwire, Gemini SSE",
    "httpx-bedrock": "raw httpx, Bedrock event stream",
    "specwire-bedrock": "specwire, Bedrock event stream",
}


def make(name: str, root: str, pool: int | None = None) -> Any:
    cls, api, _venv = CLIENTS[name]
    return cls(root, api, pool=pool)


AsyncFirst = Callable[[], Awaitable[None]]
