"""Amazon Bedrock end to end: the four Bedrock specs through ``specwire.Client`` with HTTP mocked by respx.

What this protects:

* Converse / ConverseStream (providers.d/bedrock.yaml): every recorded corpus body in
  tests/fixtures/bedrock served as ``application/vnd.amazon.eventstream`` (streams) or JSON gives the
  case's expected text, reasoning, tool calls, finish reason and usage; the request goes to
  ``/model/<url-encoded id>/converse[-stream]`` and carries a SigV4 ``Authorization`` header that
  verifies against the bytes sent (re-derived from scratch here), plus ``x-amz-security-token`` with a
  session token; a Bedrock API key switches to ``Authorization: Bearer``; a foreign host is refused
  before anything is sent (docs/RELIABILITY.md T4, T8); missing credentials are a ConfigError naming what
  to set; an in-stream ``throttlingException`` (no recording exists, so it is built with the
  encoder) becomes RateLimitError with ``in_stream=True``, status 200 and the partial response
  (docs/RELIABILITY.md row ``bedrock_stream_exception``);
* request rendering of all four specs (bedrock, bedrock-anthropic, bedrock-llama, bedrock-titan):
  bodies, URLs, parameters and per-model profiles, from the contracts the specs cite —
  botocore 1.44.5 ``bedrock-runtime/2023-09-30/service-2.json``,
  https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html ,
  https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html ,
  https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html ,
  https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-text.html ;
* InvokeModel for Claude (the corpus JSON), Llama and Titan (bodies shaped as their parameter pages
  define), and InvokeModelWithResponseStream for all three.  The streamed ``chunk`` payloads are
  base64 JSON that the shipped ``aws-eventstream`` framing cannot decode: those stream tests FAIL
  until the engine registers ``PayloadChunkFraming`` (see the assertion message); companion tests
  register it the way a third-party hook would and show the specs then work unchanged.

No test touches the network.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import specwire
import yaml
from specwire import (
    DocumentPart,
    ImagePart,
    Message,
    ReasoningPart,
    RequestBuildError,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    hooks,
)
from specwire.errors import (
    BadRequestError,
    ConfigError,
    ContextWindowExceededError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    StreamError,
)
from specwire.framing.eventstream import encode_message
from specwire.registry import SpecRegistry

from tests.conftest import FIXTURES
from tests.providers.render_common import (
    PDF_B64,
    PNG_B64,
    WEATHER_TOOL,
    param_warnings,
    weather_conversation,
)
from tests.unit.test_sigv4 import verify

BASE = "https://bedrock-runtime.us-east-1.amazonaws.com"
ACCESS_KEY = "AKIAEXAMPLEBEDROCK01"
SECRET = "bedrockSecretKey/Example0123456789abcdef"
ENV = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": "us-east-1"}
EVENTSTREAM = "application/vnd.amazon.eventstream"
SONNET4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
PAYLOAD_FRAMING = "aws-eventstream-payload"
ENGINE_CHANGE = (
    "InvokeModelWithResponseStream chunks carry base64 JSON in `bytes`, which JMESPath cannot decode: register "
    "specwire.framing.eventstream:PayloadChunkFraming as 'aws-eventstream-payload' in engine/hooks.py and set "
    "stream.framing to it in this spec (see the bedrock-anthropic.yaml header)"
)


# ---------------------------------------------------------------------------- helpers
@pytest.fixture(autouse=True)
def no_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials come only from the env mappings given here, never a developer's ~/.aws."""
    monkeypatch.setitem(sys.modules, "botocore", None)
    monkeypatch.setitem(sys.modules, "botocore.session", None)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


_BUILTIN = SpecRegistry(user_config=False, env={})  # compiled specs are cached: share one registry


def make_client(env: dict[str, str] | None = None, spec_paths: list[str] | None = None) -> specwire.Client:
    registry = SpecRegistry(spec_paths, user_config=False, env={}) if spec_paths else _BUILTIN  # type: ignore[arg-type]
    return specwire.Client(load_entry_points=False, registry=registry, env=ENV if env is None else env)


@pytest.fixture(scope="module")
def builder() -> specwire.Client:
    return specwire.Client(load_entry_points=False, registry=_BUILTIN, env={})


def case(name: str) -> tuple[Path, dict[str, Any]]:
    folder = FIXTURES / "bedrock" / name
    return folder, yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))


def model_of(data: dict[str, Any]) -> str:
    """The model id of a recorded call, from its URL (``…/model/<id>/converse``)."""
    encoded = data["http"]["uri"].split("/model/", 1)[1].rsplit("/", 1)[0]
    return encoded.replace("%3A", ":")


def serve(mock: respx.MockRouter, path: str, body: bytes, *, status: int = 200, content_type: str = EVENTSTREAM) -> respx.Route:
    return mock.post(BASE + path).mock(return_value=httpx.Response(status, content=body, headers={"content-type": content_type, "x-amzn-requestid": "req-1234"}))


def sent(route: respx.Route) -> httpx.Request:
    assert route.call_count == 1
    return route.calls.last.request


def chunk(event: dict[str, Any]) -> bytes:
    """One InvokeModelWithResponseStream ``chunk`` message: ``{"bytes": base64(<model event JSON>)}``."""
    payload = json.dumps({"bytes": base64.b64encode(json.dumps(event).encode()).decode(), "p": "abcd"}).encode()
    return encode_message({":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}, payload)


def exception(kind: str, message: str, **extra: Any) -> bytes:
    return encode_message(
        {":exception-type": kind, ":content-type": "application/json", ":message-type": "exception"},
        json.dumps({"message": message, **extra}).encode(),
    )


def eventstream_messages(body: bytes) -> list[bytes]:
    out, i = [], 0
    while i < len(body):
        n = int.from_bytes(body[i : i + 4], "big")
        out.append(body[i : i + n])
        i += n
    return out


def usage_of(response: specwire.Response) -> tuple[int | None, int | None]:
    assert response.usage is not None
    return response.usage.input_tokens, response.usage.output_tokens


# ============================================================================ Converse end to end
CONVERSE_CASES = [c for c in sorted(p.name for p in (FIXTURES / "bedrock").iterdir()) if c.startswith("converse")]


@pytest.mark.parametrize("name", CONVERSE_CASES)
def test_recorded_converse_body_end_to_end(name: str, mock: respx.MockRouter) -> None:
    """Each recorded Converse/ConverseStream body through Client.stream/complete, signed with SigV4."""
    folder, data = case(name)
    model = model_of(data)
    stream = data["replay"]["stream"]
    encoded = model.replace(":", "%3A")
    path = f"/model/{encoded}/converse-stream" if stream else f"/model/{encoded}/converse"
    route = serve(mock, path, (folder / data["replay"]["body"]).read_bytes(), content_type=EVENTSTREAM if stream else "application/json")
    with make_client() as client:
        if stream:
            events = list(client.stream(f"bedrock:{model}", "Hello", max_output_tokens=256))
            assert events[0].type == "response_start" and events[-1].type == "finish"
            response = events[-1].response
        else:
            response = client.complete(f"bedrock:{model}", "Hello", max_output_tokens=256)
    exp = data["expected"]
    assert response.text == exp["text"]
    assert (response.reasoning or None) == (exp["reasoning"] or None)
    assert [(c.tool_call_id, c.tool_name, c.arguments) for c in response.tool_calls] == [(t["id"], t["name"], t["arguments_json"]) for t in exp["tool_calls"]]
    assert response.finish_reason.raw == exp["finish_reason"]
    assert usage_of(response) == (exp["usage"]["input_tokens"], exp["usage"]["output_tokens"])
    request = sent(route)
    assert request.url.raw_path.decode() == path  # the model id is one URI label: ':' sent as %3A
    assert json.loads(request.content)["messages"] == [{"role": "user", "content": [{"text": "Hello"}]}]
    assert json.loads(request.content)["inferenceConfig"] == {"maxTokens": 256}
    verify(request, SECRET)


def test_stream_cost_from_the_catalog(mock: respx.MockRouter) -> None:
    """Sonnet 4 through a geographic profile: $3 / $15 per million tokens (catalog; Sonnet 4 predates the
    geographic premium)."""
    folder, data = case("converse-stream-text")
    serve(mock, f"/model/{SONNET4.replace(':', '%3A')}/converse-stream", (folder / "eventstream.bin").read_bytes())
    with make_client() as client:
        response = client.stream(f"bedrock:{SONNET4}", "Hello").until_done()
    u = data["expected"]["usage"]
    assert response.cost is not None
    assert response.cost.total == pytest.approx(u["input_tokens"] * 3e-6 + u["output_tokens"] * 15e-6)


# ============================================================================ auth
def test_session_token_is_sent_and_signed(mock: respx.MockRouter) -> None:
    folder, _ = case("converse-json-text")
    route = serve(mock, "/model/us.amazon.nova-micro-v1%3A0/converse", (folder / "response.json").read_bytes(), content_type="application/json")
    with make_client({**ENV, "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"}) as client:
        client.complete("bedrock:us.amazon.nova-micro-v1:0", "Hello")
    request = sent(route)
    assert request.headers["x-amz-security-token"] == "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
    assert "x-amz-security-token" in request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    verify(request, SECRET)


def test_bedrock_api_key_means_bearer_auth(mock: respx.MockRouter) -> None:
    """AWS_BEARER_TOKEN_BEDROCK (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html) wins
    over AWS credentials, as in botocore (handlers.py _should_prefer_bearer_auth)."""
    folder, _ = case("converse-json-text")
    route = serve(mock, "/model/us.amazon.nova-micro-v1%3A0/converse", (folder / "response.json").read_bytes(), content_type="application/json")
    with make_client({**ENV, "AWS_BEARER_TOKEN_BEDROCK": "ABSKQmVkcm9ja0FQSUtleUV4YW1wbGU="}) as client:
        assert client.complete("bedrock:us.amazon.nova-micro-v1:0", "Hello").text.startswith("Hello!")
    request = sent(route)
    assert request.headers["authorization"] == "Bearer ABSKQmVkcm9ja0FQSUtleUV4YW1wbGU="
    assert "x-amz-date" not in request.headers


@pytest.mark.parametrize("bearer", [False, True], ids=["sigv4", "api-key"])
def test_foreign_host_is_refused_before_sending(bearer: bool, mock: respx.MockRouter) -> None:
    """A base_url override (or a third-party spec) cannot aim AWS credentials elsewhere: nothing is sent
    and no secret shows in the error."""
    evil = mock.post(url__regex=r"https://evil\.example/.*").mock(return_value=httpx.Response(200, json={}))
    env = {**ENV, "AWS_BEARER_TOKEN_BEDROCK": "ABSKbearerSecretValue"} if bearer else ENV
    with make_client(env) as client, pytest.raises(ConfigError, match="refusing") as info:
        client.complete("bedrock:us.amazon.nova-micro-v1:0", "Hello", base_url="https://evil.example")
    assert not evil.called
    text = f"{info.value} {info.value!r}"
    assert SECRET not in text and ACCESS_KEY not in text and "ABSKbearerSecretValue" not in text


def test_region_mismatch_is_refused(mock: respx.MockRouter) -> None:
    with make_client() as client, pytest.raises(ConfigError, match="differs from the signing region"):
        client.complete("bedrock:us.amazon.nova-micro-v1:0", "Hello", base_url="https://bedrock-runtime.eu-west-1.amazonaws.com")


def test_region_setting_moves_url_and_signature(mock: respx.MockRouter) -> None:
    folder, _ = case("converse-json-text")
    route = mock.post("https://bedrock-runtime.eu-central-1.amazonaws.com/model/eu.amazon.nova-micro-v1%3A0/converse").mock(
        return_value=httpx.Response(200, content=(folder / "response.json").read_bytes(), headers={"content-type": "application/json"})
    )
    with make_client({**ENV, "AWS_REGION": "eu-central-1"}) as client:
        client.complete("bedrock:eu.amazon.nova-micro-v1:0", "Hello")
    request = sent(route)
    assert "/eu-central-1/bedrock/aws4_request" in request.headers["authorization"]
    verify(request, SECRET, region="eu-central-1")


def test_missing_credentials_is_a_config_error_before_any_event(mock: respx.MockRouter) -> None:
    with make_client({}) as client, pytest.raises(ConfigError, match="AWS_ACCESS_KEY_ID"):
        client.stream("bedrock:us.amazon.nova-micro-v1:0", "Hello")


# ============================================================================ errors
def test_http_400_error_body(mock: respx.MockRouter) -> None:
    folder, data = case("error-400-invalid-model")
    serve(mock, "/model/us.does-not-exist-model-v1%3A0/converse-stream", (folder / "response.json").read_bytes(), status=400, content_type="application/json")
    with make_client() as client, pytest.raises(BadRequestError) as info:
        list(client.stream("bedrock:us.does-not-exist-model-v1:0", "Hello"))
    assert info.value.status == 400 and info.value.message == data["expected"]["error"]["message"]
    assert info.value.request_id == "req-1234" and not info.value.in_stream


def test_http_403_echoing_the_access_key_is_redacted(mock: respx.MockRouter) -> None:
    """docs/RELIABILITY.md T7 (canary_secret_scan): an AccessDeniedException body that echoes the access key id
    (UnrecognizedClientException-style messages do) never shows it in the error's text, repr or body."""
    body = json.dumps({"message": f"The security token included in the request is invalid: {ACCESS_KEY}"}).encode()
    serve(mock, "/model/us.amazon.nova-micro-v1%3A0/converse", body, status=403, content_type="application/json")
    with make_client({**ENV, "AWS_SESSION_TOKEN": "FwoGZXIvYXdzCANARYTOKEN"}) as client, pytest.raises(specwire.PermissionDeniedError) as info:
        client.complete("bedrock:us.amazon.nova-micro-v1:0", "Hello")
    text = f"{info.value} {info.value!r} {info.value.body}"
    assert ACCESS_KEY not in text and SECRET not in text and "CANARYTOKEN" not in text
    assert info.value.status == 403


@pytest.mark.parametrize(
    ("kind", "message", "cls"),
    [
        ("throttlingException", "Too many requests, please wait before trying again.", RateLimitError),
        ("serviceUnavailableException", "Bedrock is unable to process your request.", ServiceUnavailableError),
        ("modelStreamErrorException", "An error occurred while streaming.", ServerError),
        ("internalServerException", "Internal server error", ServerError),
        ("validationException", "Input is too long for requested model.", ContextWindowExceededError),
        ("validationException", "Malformed input request", BadRequestError),
    ],
)
def test_in_stream_exception_maps_class_with_partial(kind: str, message: str, cls: type[Exception], mock: respx.MockRouter) -> None:
    """docs/RELIABILITY.md ``bedrock_stream_exception``: an exception message after two text deltas (the
    first messages of a recorded stream) raises the mapped class, in_stream, status 200, with the text so
    far attached; the ``error`` event comes last, after the open part is closed."""
    folder, _ = case("converse-stream-text")
    messages = eventstream_messages((folder / "eventstream.bin").read_bytes())
    head = messages[:3]  # messageStart + two contentBlockDelta
    partial_text = "".join(json.loads(m[m.index(b'{"contentBlockIndex"'):-4])["delta"]["text"] for m in head[1:])
    serve(mock, f"/model/{SONNET4.replace(':', '%3A')}/converse-stream", b"".join(head) + exception(kind, message))
    with make_client() as client:
        stream = client.stream(f"bedrock:{SONNET4}", "Hello", raise_on_error=False)
        events = list(stream)
    assert [e.type for e in events][-3:] == ["text_delta", "text_end", "error"]
    error = events[-1].error
    assert type(error) is cls
    assert error.in_stream and error.status == 200 and error.message == message
    assert error.error_type == kind
    assert error.partial is not None and error.partial.text == partial_text
    assert events[-1].response.finish_reason.unified == "error"
    with make_client() as client, pytest.raises(cls):
        list(client.stream(f"bedrock:{SONNET4}", "Hello"))


def _converse_stream(order: str) -> bytes:
    """The recorded converse-stream-text body with its last two messages (``messageStop``, ``metadata``)
    reordered: ``after`` as recorded, ``before`` (metadata first), ``never`` (no metadata),
    ``metadata-only`` (no messageStop).  ConverseStreamOutput is a union of events; the API reference
    does not promise their order (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html)."""
    folder, _ = case("converse-stream-text")
    messages = eventstream_messages((folder / "eventstream.bin").read_bytes())
    head, stop, metadata = messages[:-2], messages[-2], messages[-1]
    tail = {"after": [stop, metadata], "before": [metadata, stop], "never": [stop], "metadata-only": [metadata]}[order]
    return b"".join(head + tail)


@pytest.mark.parametrize("order", ["after", "before", "never"])
def test_stream_terminal_condition_does_not_depend_on_metadata_order(order: str, mock: respx.MockRouter) -> None:
    """`messageStop` completes the stream with its finish reason whether `metadata` (usage) comes after
    it, before it, or never (usage is then None); never an early end without a finish reason."""
    _, data = case("converse-stream-text")
    serve(mock, f"/model/{SONNET4.replace(':', '%3A')}/converse-stream", _converse_stream(order))
    with make_client() as client:
        events = list(client.stream(f"bedrock:{SONNET4}", "Hello", raise_on_error=False))
    assert [e.type for e in events].count("finish") == 1 and events[-1].type == "finish", events[-1]
    response = events[-1].response
    assert response.text == data["expected"]["text"]
    assert response.finish_reason.raw == "end_turn" and response.finish_reason.unified == "stop"
    if order == "never":
        assert response.usage is None
    else:
        assert usage_of(response) == (data["expected"]["usage"]["input_tokens"], data["expected"]["usage"]["output_tokens"])


def test_stream_metadata_before_message_stop_async(mock: respx.MockRouter) -> None:
    """The same through the async client (metadata first, then messageStop)."""
    _, data = case("converse-stream-text")
    serve(mock, f"/model/{SONNET4.replace(':', '%3A')}/converse-stream", _converse_stream("before"))

    async def main() -> specwire.Response:
        async with make_client() as client:
            return await client.astream(f"bedrock:{SONNET4}", "Hello").until_done()

    response = asyncio.run(main())
    assert response.finish_reason.raw == "end_turn" and response.text == data["expected"]["text"]
    assert usage_of(response) == (data["expected"]["usage"]["input_tokens"], data["expected"]["usage"]["output_tokens"])


def test_stream_cut_before_message_stop_is_incomplete(mock: respx.MockRouter) -> None:
    """A body that ends before `messageStop` is an incomplete stream (never a synthetic finish), with the
    full text as partial, even when `metadata` did arrive."""
    folder, data = case("converse-stream-text")
    for body in (b"".join(eventstream_messages((folder / "eventstream.bin").read_bytes())[:-2]), _converse_stream("metadata-only")):
        mock.routes.clear()
        serve(mock, f"/model/{SONNET4.replace(':', '%3A')}/converse-stream", body)
        with make_client() as client:
            events = list(client.stream(f"bedrock:{SONNET4}", "Hello", raise_on_error=False))
        assert events[-1].type == "error" and type(events[-1].error).__name__ == "IncompleteStreamError"
        assert events[-1].response.text == data["expected"]["text"]


def test_corrupted_stream_is_a_framing_error(mock: respx.MockRouter) -> None:
    folder, _ = case("converse-stream-text")
    body = bytearray((folder / "eventstream.bin").read_bytes())
    body[400] ^= 0xFF
    serve(mock, f"/model/{SONNET4.replace(':', '%3A')}/converse-stream", bytes(body))
    with make_client() as client:
        events = list(client.stream(f"bedrock:{SONNET4}", "Hello", raise_on_error=False))
    assert events[-1].type == "error" and type(events[-1].error).__name__ == "FramingError"


# ============================================================================ rendering: Converse
def build(client: specwire.Client, ref: str, messages: Any = "hi", **options: Any) -> specwire.RequestPlan:
    return client.build(ref, messages, **options)


OPENAI_DICTS, UNIFIED_DICTS, UNIFIED_MESSAGES = weather_conversation("tooluse_")
CONVERSE_MESSAGES = [
    {"role": "user", "content": [{"text": "Weather in Paris and Rome?"}]},
    {
        "role": "assistant",
        "content": [
            {"text": "Checking both."},
            {"toolUse": {"toolUseId": "tooluse_paris", "name": "get_weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "tooluse_rome", "name": "get_weather", "input": {"city": "Rome"}}},
        ],
    },
    {
        "role": "user",  # both results and the follow-up merged into one user turn (roles must alternate)
        "content": [
            {"toolResult": {"toolUseId": "tooluse_paris", "content": [{"text": "18C and sunny"}]}},
            {"toolResult": {"toolUseId": "tooluse_rome", "content": [{"text": "21C"}]}},
            {"text": "Thanks!"},
        ],
    },
]


@pytest.mark.parametrize("flavor", ["openai-dicts", "unified-dicts", "messages"])
def test_converse_tool_conversation(builder: specwire.Client, flavor: str) -> None:
    messages = {"openai-dicts": OPENAI_DICTS, "unified-dicts": UNIFIED_DICTS, "messages": UNIFIED_MESSAGES}[flavor]
    plan = build(builder, f"bedrock:{SONNET4}", messages, tools=[WEATHER_TOOL], tool_choice="auto")
    assert plan.method == "POST"
    assert plan.url == f"{BASE}/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse"
    assert plan.headers["content-type"] == "application/json"
    assert plan.body == {
        "messages": CONVERSE_MESSAGES,
        "system": [{"text": "Be brief."}],
        "toolConfig": {
            "tools": [{"toolSpec": {"name": "get_weather", "description": "Current weather for a city", "inputSchema": {"json": WEATHER_TOOL["parameters"]}}}],
            "toolChoice": {"auto": {}},
        },
    }
    assert plan.warnings == []


def test_converse_stream_url_and_no_body_additions(builder: specwire.Client) -> None:
    plan = builder.build(f"bedrock:{SONNET4}", "hi", stream=True)
    assert plan.url == f"{BASE}/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream"
    assert plan.body == {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}


def test_converse_arn_model_id_is_one_path_label(builder: specwire.Client) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"
    plan = build(builder, f"bedrock:{arn}")
    assert plan.url == f"{BASE}/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3d4e5f6/converse"
    assert [w.kind for w in plan.warnings] == ["unknown-model"]


def test_converse_media_parts(builder: specwire.Client) -> None:
    messages = [
        Message(
            role="user",
            content=[
                TextPart(text="Compare"),
                ImagePart(data=PNG_B64, media_type="image/png"),
                ImagePart(url="s3://bucket/cat.jpeg", media_type="image/jpeg"),
                DocumentPart(data=PDF_B64, media_type="application/pdf", filename="report"),
                DocumentPart(url="s3://bucket/notes.md", media_type="text/markdown", filename="notes"),
            ],
        )
    ]
    plan = build(builder, f"bedrock:{SONNET4}", messages)
    assert plan.body["messages"][0]["content"] == [
        {"text": "Compare"},
        {"image": {"format": "png", "source": {"bytes": PNG_B64}}},
        {"image": {"format": "jpeg", "source": {"s3Location": {"uri": "s3://bucket/cat.jpeg"}}}},
        {"document": {"format": "pdf", "name": "report", "source": {"bytes": PDF_B64}}},
        {"document": {"format": "md", "name": "notes", "source": {"s3Location": {"uri": "s3://bucket/notes.md"}}}},
    ]
    with pytest.raises(RequestBuildError, match="s3:// URIs"):
        build(builder, f"bedrock:{SONNET4}", [Message(role="user", content=[ImagePart(url="https://example.com/cat.png")])])


def test_converse_reasoning_round_trip(builder: specwire.Client) -> None:
    """Signed reasoning and redacted reasoning go back unchanged (ReasoningContentBlock); reasoning from
    another provider, without a Bedrock signature, is left out."""
    assistant = Message(
        role="assistant",
        content=[
            ReasoningPart(text="Let me think.", provider_metadata={"bedrock": {"signature": "EqQBCkYIARgCKkB"}}),
            ReasoningPart(redacted=True, provider_metadata={"bedrock": {"redacted_data": "RXRrRUNrZ0lC"}}),
            ReasoningPart(text="foreign", provider_metadata={"anthropic": {"signature": "other"}}),
            ToolCallPart(tool_call_id="tooluse_1", tool_name="get_weather", arguments={"city": "Oslo"}),
        ],
    )
    messages = [Message(role="user", content="Weather in Oslo?"), assistant, Message(role="tool", content=[ToolResultPart(tool_call_id="tooluse_1", content="-3C", is_error=True)])]
    plan = build(builder, f"bedrock:{SONNET4}", messages, tools=[WEATHER_TOOL])
    assert plan.body["messages"][1]["content"] == [
        {"reasoningContent": {"reasoningText": {"text": "Let me think.", "signature": "EqQBCkYIARgCKkB"}}},
        {"reasoningContent": {"redactedContent": "RXRrRUNrZ0lC"}},
        {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Oslo"}}},
    ]
    assert plan.body["messages"][2]["content"] == [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "-3C"}], "status": "error"}}]


def test_converse_echoes_a_recorded_response(builder: specwire.Client) -> None:
    """The recorded signed-reasoning stream, replayed into a Response, renders back as the next turn."""
    folder, data = case("converse-stream-reasoning-signature")
    spec = builder.registry.get("bedrock")
    from specwire.process import ResponseProcessor

    proc = ResponseProcessor(spec, model=SONNET4, stream=True)
    events = proc.start() + proc.feed((folder / "eventstream.bin").read_bytes()) + proc.close()
    response = events[-1].response
    plan = build(builder, f"bedrock:{SONNET4}", [Message(role="user", content="Hello"), response.message(), Message(role="user", content="And?")])
    assert plan.body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"reasoningContent": {"reasoningText": {"text": data["expected"]["reasoning"], "signature": data["expected"]["reasoning_signatures"][0]}}},
            {"text": data["expected"]["text"]},
        ],
    }


def test_converse_inference_params(builder: specwire.Client) -> None:
    plan = build(builder, f"bedrock:{SONNET4}", max_output_tokens=512, temperature=1.4, top_p=0.9, stop_sequences=["END"], metadata={"run": "7"}, seed=1, top_k=5)
    assert plan.body["inferenceConfig"] == {"maxTokens": 512, "temperature": 1, "topP": 0.9, "stopSequences": ["END"]}
    assert plan.body["requestMetadata"] == {"run": "7"}
    assert [w.kind for w in param_warnings(plan, "temperature")] == ["clamped-param"]
    assert [w.kind for w in param_warnings(plan, "seed")] == ["unsupported-param"]
    assert [w.kind for w in param_warnings(plan, "top_k")] == ["unsupported-param"]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("auto", {"auto": {}}), ("required", {"any": {}}), ("get_weather", {"tool": {"name": "get_weather"}})],
)
def test_converse_tool_choice(builder: specwire.Client, choice: str, expected: dict[str, Any]) -> None:
    plan = build(builder, f"bedrock:{SONNET4}", tools=[WEATHER_TOOL], tool_choice=choice)
    assert plan.body["toolConfig"]["toolChoice"] == expected


def test_converse_tool_choice_none_and_without_tools(builder: specwire.Client) -> None:
    plan = build(builder, f"bedrock:{SONNET4}", tools=[WEATHER_TOOL], tool_choice="none")
    assert "toolChoice" not in plan.body["toolConfig"] and [w.kind for w in param_warnings(plan, "tool_choice")] == ["unsupported-param"]
    plan = build(builder, f"bedrock:{SONNET4}", tool_choice="required")
    assert "toolConfig" not in plan.body and [w.kind for w in param_warnings(plan, "tool_choice")] == ["unsupported-param"]


def test_converse_json_schema_output(builder: specwire.Client) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    # a model with native structured outputs (Sonnet 4's catalog entry says json_schema: false: a forced tool, tests/structured)
    plan = build(builder, "bedrock:global.anthropic.claude-opus-4-6-v1", response_format={"type": "json_schema", "name": "Answer", "schema": schema})
    fmt = plan.body["outputConfig"]["textFormat"]
    assert fmt["type"] == "json_schema" and fmt["structure"]["jsonSchema"]["name"] == "Answer"
    # OutputFormatStructure takes the schema as JSON text, every object closed
    assert json.loads(fmt["structure"]["jsonSchema"]["schema"]) == {**schema, "additionalProperties": False}


@pytest.mark.parametrize(
    ("model", "reasoning", "expected", "warned"),
    [
        # Claude 3.7 / 4 / 4.5: budget thinking in additionalModelRequestFields, maxTokens = the model's max
        (SONNET4, 4096, {"additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 4096}}, "inferenceConfig": {"maxTokens": 64000}}, False),
        (SONNET4, "high", {"additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 16384}}, "inferenceConfig": {"maxTokens": 64000}}, True),
        # Claude 4.6: adaptive thinking + effort
        ("global.anthropic.claude-opus-4-6-v1", "medium", {"additionalModelRequestFields": {"thinking": {"type": "adaptive"}}, "outputConfig": {"effort": "medium"}}, False),
        # Claude 4.7+: effort only (thinking is always on)
        ("global.anthropic.claude-fable-5", "xhigh", {"outputConfig": {"effort": "xhigh"}}, False),
        ("global.anthropic.claude-fable-5", 3000, {"outputConfig": {"effort": "medium"}}, True),
        # Nova 2: reasoningConfig
        ("global.amazon.nova-2-lite-v1:0", "medium", {"additionalModelRequestFields": {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "medium"}}}, False),
        # gpt-oss: reasoning_effort
        ("openai.gpt-oss-120b-1:0", "low", {"additionalModelRequestFields": {"reasoning_effort": "low"}}, False),
    ],
)
def test_converse_reasoning_per_model(builder: specwire.Client, model: str, reasoning: Any, expected: dict[str, Any], warned: bool) -> None:
    plan = build(builder, f"bedrock:{model}", reasoning=reasoning)
    assert {k: v for k, v in plan.body.items() if k != "messages"} == expected
    assert bool(param_warnings(plan, "reasoning")) is warned


def test_converse_reasoning_unsupported_models(builder: specwire.Client) -> None:
    plan = build(builder, "bedrock:amazon.nova-pro-v1:0", reasoning="high")
    assert set(plan.body) == {"messages"} and [w.kind for w in param_warnings(plan, "reasoning")] == ["unsupported-param"]


def test_converse_fixed_sampling_models_drop_temperature(builder: specwire.Client) -> None:
    plan = build(builder, "bedrock:global.anthropic.claude-fable-5", temperature=0.2, top_p=0.5)
    assert "inferenceConfig" not in plan.body
    assert {w.param for w in plan.warnings} == {"temperature", "top_p"}


def test_converse_provider_options_merge_last(builder: specwire.Client) -> None:
    plan = build(builder, f"bedrock:{SONNET4}", provider_options={"bedrock": {"guardrailConfig": {"guardrailIdentifier": "gr-1", "guardrailVersion": "1"}}})
    assert plan.body["guardrailConfig"] == {"guardrailIdentifier": "gr-1", "guardrailVersion": "1"}


# ============================================================================ bedrock-anthropic (InvokeModel)
CLAUDE = "global.anthropic.claude-opus-4-6-v1"


def test_invoke_anthropic_request(builder: specwire.Client) -> None:
    """Model in the URL, anthropic_version in the body, no anthropic-version header, no `model`/`stream`
    keys (AWS Claude Messages request page; anthropic SDK lib/bedrock/_client.py _prepare_options)."""
    plan = build(builder, f"bedrock-anthropic:{CLAUDE}", [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}], max_output_tokens=300, temperature=0.5, top_k=10)
    assert plan.url == f"{BASE}/model/global.anthropic.claude-opus-4-6-v1/invoke"
    assert "anthropic-version" not in plan.headers
    assert plan.body == {
        "anthropic_version": "bedrock-2023-05-31",
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "max_tokens": 300,
        "temperature": 0.5,
        "top_k": 10,
    }
    stream = builder.build(f"bedrock-anthropic:{CLAUDE}", "hi", stream=True)
    assert stream.url == f"{BASE}/model/global.anthropic.claude-opus-4-6-v1/invoke-with-response-stream"
    assert "stream" not in stream.body and "model" not in stream.body


def test_invoke_anthropic_tools_and_thinking(builder: specwire.Client) -> None:
    plan = build(builder, f"bedrock-anthropic:{CLAUDE}", UNIFIED_MESSAGES, tools=[WEATHER_TOOL], tool_choice="required", reasoning=2048)
    assert plan.body["tools"] == [{"name": "get_weather", "description": "Current weather for a city", "input_schema": WEATHER_TOOL["parameters"]}]
    assert plan.body["tool_choice"] == {"type": "any"}
    assert plan.body["thinking"] == {"type": "enabled", "budget_tokens": 2048}  # Opus 4.6 takes budgets (hybrid profile)
    assert plan.body["messages"][1]["content"][1] == {"type": "tool_use", "id": "tooluse_paris", "name": "get_weather", "input": {"city": "Paris"}}


def test_invoke_anthropic_refuses_url_media_and_user(builder: specwire.Client) -> None:
    with pytest.raises(RequestBuildError, match="base64"):
        build(builder, f"bedrock-anthropic:{CLAUDE}", [Message(role="user", content=[ImagePart(url="https://example.com/a.png")])])
    plan = build(builder, f"bedrock-anthropic:{CLAUDE}", user="u-1")
    assert "metadata" not in plan.body and [w.kind for w in param_warnings(plan, "user")] == ["unsupported-param"]


def test_invoke_anthropic_newest_models_drop_sampling(builder: specwire.Client) -> None:
    plan = build(builder, "bedrock-anthropic:global.anthropic.claude-opus-4-8", temperature=0.3, top_k=3, reasoning="high")
    assert "temperature" not in plan.body and "top_k" not in plan.body
    assert plan.body["thinking"] == {"type": "adaptive"} and plan.body["output_config"] == {"effort": "high"}


def test_invoke_anthropic_json_end_to_end(mock: respx.MockRouter) -> None:
    """The recorded InvokeModel response (the Anthropic Messages JSON) through Client.complete."""
    folder, data = case("invoke-model-anthropic-json")
    route = serve(mock, "/model/us.anthropic.claude-opus-4-8/invoke", (folder / "response.json").read_bytes(), content_type="application/json")
    with make_client() as client:
        response = client.complete("bedrock-anthropic:us.anthropic.claude-opus-4-8", "Review my code", max_output_tokens=4096)
    assert response.text == data["expected"]["text"]
    assert response.finish_reason.raw == "end_turn" and response.finish_reason.unified == "stop"
    assert usage_of(response) == (68, 508)
    request = sent(route)
    assert json.loads(request.content)["anthropic_version"] == "bedrock-2023-05-31"
    verify(request, SECRET)


def anthropic_sse_events(case_dir: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The JSON events of a recorded Anthropic SSE stream, and that case's expected block."""
    folder = FIXTURES / "anthropic" / case_dir
    data = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    events = [json.loads(line[5:]) for line in (folder / data["replay"]["body"]).read_text(encoding="utf-8").splitlines() if line.startswith("data:")]
    return events, data["expected"]


def invoke_stream_body(events: list[dict[str, Any]]) -> bytes:
    """Anthropic stream events as Bedrock sends them: one `chunk` message per event, the event's JSON
    base64-encoded in `bytes` (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html ,
    PayloadPart in service-2.json; the anthropic SDK's lib/bedrock/_stream_decoder.py decodes it)."""
    return b"".join(chunk(e) for e in events)


def payload_framing_registered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, provider: str) -> str:
    """Register PayloadChunkFraming as a third-party hook would, and a user spec that extends ``provider``
    with only its framing changed; returns the user spec's provider id."""
    monkeypatch.setitem(hooks._REGISTRIES["framing"], PAYLOAD_FRAMING, "specwire.framing.eventstream:PayloadChunkFraming")
    name = f"{provider}-decoded"
    (tmp_path / f"{name}.yaml").write_text(
        f"spec_version: 1\nprovider: {name}\nextends: {provider}\nstream: {{framing: {PAYLOAD_FRAMING}, unmatched: ignore}}\n", encoding="utf-8"
    )
    return name


def run_stream(client: specwire.Client, ref: str) -> list[Any]:
    return list(client.stream(ref, "hi", max_output_tokens=1024, raise_on_error=False))


def test_invoke_anthropic_stream_as_shipped(mock: respx.MockRouter) -> None:
    """FAILS until the engine change: the recorded Anthropic thinking stream, re-framed as Bedrock chunks."""
    events, expected = anthropic_sse_events("stream-thinking-signature")
    serve(mock, f"/model/{CLAUDE}/invoke-with-response-stream", invoke_stream_body(events))
    with make_client() as client:
        out = run_stream(client, f"bedrock-anthropic:{CLAUDE}")
    assert out[-1].type == "finish", f"{ENGINE_CHANGE}; got {out[-1].error!r}"
    assert out[-1].response.text == expected["text"]


def test_invoke_anthropic_stream_with_payload_framing(mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With PayloadChunkFraming registered, the inherited Anthropic rules parse the decoded chunks
    unchanged: text, reasoning with its signature, usage and finish as in the SSE recording."""
    events, expected = anthropic_sse_events("stream-thinking-signature")
    name = payload_framing_registered(monkeypatch, tmp_path, "bedrock-anthropic")
    route = serve(mock, f"/model/{CLAUDE}/invoke-with-response-stream", invoke_stream_body(events))
    with make_client(spec_paths=[str(tmp_path)]) as client:
        out = run_stream(client, f"{name}:{CLAUDE}")
    assert out[-1].type == "finish", out[-1]
    response = out[-1].response
    assert response.text == expected["text"] and response.reasoning == expected["reasoning"]
    assert [p.provider_metadata[name]["signature"] for p in response.parts if p.type == "reasoning"] == expected["thinking_signatures"]
    assert response.finish_reason.raw == expected["finish_reason"]
    assert response.usage is not None and response.usage.output_tokens == expected["usage"]["output_tokens"]
    verify(sent(route), SECRET)


def test_invoke_anthropic_stream_exception_with_payload_framing(mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    events, _ = anthropic_sse_events("stream-thinking-signature")
    name = payload_framing_registered(monkeypatch, tmp_path, "bedrock-anthropic")
    serve(mock, f"/model/{CLAUDE}/invoke-with-response-stream", invoke_stream_body(events[:4]) + exception("throttlingException", "Too many tokens, please wait."))
    with make_client(spec_paths=[str(tmp_path)]) as client:
        out = run_stream(client, f"{name}:{CLAUDE}")
    error = out[-1].error
    assert type(error) is RateLimitError and error.in_stream and error.message == "Too many tokens, please wait."


def test_invoke_anthropic_exception_is_mapped_even_today(mock: respx.MockRouter) -> None:
    """Exception messages need no decoding: a throttlingException before any chunk maps to RateLimitError."""
    serve(mock, f"/model/{CLAUDE}/invoke-with-response-stream", exception("throttlingException", "Too many requests"))
    with make_client() as client:
        out = run_stream(client, f"bedrock-anthropic:{CLAUDE}")
    assert type(out[-1].error) is RateLimitError and out[-1].error.in_stream


# ============================================================================ bedrock-llama
LLAMA = "us.meta.llama3-3-70b-instruct-v1:0"
LLAMA_PATH = "/model/us.meta.llama3-3-70b-instruct-v1%3A0"


def test_llama_prompt_is_the_llama3_chat_template(builder: specwire.Client) -> None:
    """https://www.llama.com/docs/model-cards-and-prompt-formats/meta-llama-3/ ; body fields from
    https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html"""
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "A color?"}]
    plan = build(builder, f"bedrock-llama:{LLAMA}", messages, max_output_tokens=4000, temperature=0.2, top_p=0.8)
    assert plan.url == f"{BASE}{LLAMA_PATH}/invoke"
    assert plan.body == {
        "prompt": (
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nA color?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        ),
        "max_gen_len": 2048,  # clamped: max_gen_len is at most 2048
        "temperature": 0.2,
        "top_p": 0.8,
    }
    assert [w.kind for w in param_warnings(plan, "max_output_tokens")] == ["clamped-param"]
    assert builder.build(f"bedrock-llama:{LLAMA}", "hi", stream=True).url == f"{BASE}{LLAMA_PATH}/invoke-with-response-stream"


def test_llama_refuses_tools_and_images(builder: specwire.Client) -> None:
    with pytest.raises(RequestBuildError):
        build(builder, f"bedrock-llama:{LLAMA}", tools=[WEATHER_TOOL])
    with pytest.raises(RequestBuildError, match="text only"):
        build(builder, f"bedrock-llama:{LLAMA}", [Message(role="user", content=[ImagePart(data=PNG_B64, media_type="image/png")])])
    plan = build(builder, f"bedrock-llama:{LLAMA}", stop_sequences=["x"], reasoning="high")
    assert {w.param for w in plan.warnings} == {"stop_sequences", "reasoning"}


def test_llama_invoke_end_to_end(mock: respx.MockRouter) -> None:
    """Response shape of the Meta Llama parameters page: generation, prompt_token_count,
    generation_token_count, stop_reason."""
    body = {"generation": "Blue.", "prompt_token_count": 21, "generation_token_count": 3, "stop_reason": "stop"}
    route = serve(mock, f"{LLAMA_PATH}/invoke", json.dumps(body).encode(), content_type="application/json")
    with make_client() as client:
        response = client.complete(f"bedrock-llama:{LLAMA}", "A color?")
    assert response.text == "Blue." and response.finish_reason.unified == "stop" and usage_of(response) == (21, 3)
    verify(sent(route), SECRET)


LLAMA_CHUNKS = [
    {"generation": "Blue", "prompt_token_count": 21, "generation_token_count": 1, "stop_reason": None},
    {"generation": " sky", "prompt_token_count": None, "generation_token_count": 2, "stop_reason": None},
    {"generation": ".", "prompt_token_count": None, "generation_token_count": 3, "stop_reason": "stop",
     "amazon-bedrock-invocationMetrics": {"inputTokenCount": 21, "outputTokenCount": 3, "invocationLatency": 310, "firstByteLatency": 120}},
]


def test_llama_stream_as_shipped(mock: respx.MockRouter) -> None:
    """FAILS until the engine change (chunks as the Llama parameters page describes the stream)."""
    serve(mock, f"{LLAMA_PATH}/invoke-with-response-stream", b"".join(chunk(c) for c in LLAMA_CHUNKS))
    with make_client() as client:
        out = run_stream(client, f"bedrock-llama:{LLAMA}")
    assert out[-1].type == "finish", f"{ENGINE_CHANGE}; got {out[-1].error!r}"


def test_llama_stream_with_payload_framing(mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    name = payload_framing_registered(monkeypatch, tmp_path, "bedrock-llama")
    serve(mock, f"{LLAMA_PATH}/invoke-with-response-stream", b"".join(chunk(c) for c in LLAMA_CHUNKS))
    with make_client(spec_paths=[str(tmp_path)]) as client:
        out = run_stream(client, f"{name}:{LLAMA}")
    assert out[-1].type == "finish", out[-1]
    assert out[-1].response.text == "Blue sky." and usage_of(out[-1].response) == (21, 3)


# ============================================================================ bedrock-titan
TITAN = "amazon.titan-text-express-v1"


def test_titan_request(builder: specwire.Client) -> None:
    """https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-text.html : inputText in the
    conversational "User: …\\nBot:" format, textGenerationConfig."""
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "A color?"}]
    plan = build(builder, f"bedrock-titan:{TITAN}", messages, max_output_tokens=200, temperature=1.5, top_p=0.9, stop_sequences=["User:"])
    assert plan.url == f"{BASE}/model/amazon.titan-text-express-v1/invoke"
    assert plan.body == {
        "inputText": "Be brief.\n\nUser: Hi\nBot: Hello!\nUser: A color?\nBot:",
        "textGenerationConfig": {"maxTokenCount": 200, "temperature": 1, "topP": 0.9, "stopSequences": ["User:"]},
    }
    with pytest.raises(RequestBuildError):
        build(builder, f"bedrock-titan:{TITAN}", tools=[WEATHER_TOOL])


def test_titan_invoke_end_to_end(mock: respx.MockRouter) -> None:
    body = {"inputTextTokenCount": 9, "results": [{"tokenCount": 4, "outputText": "\nBlue.\n", "completionReason": "FINISHED"}]}
    route = serve(mock, "/model/amazon.titan-text-express-v1/invoke", json.dumps(body).encode(), content_type="application/json")
    with make_client() as client:
        response = client.complete(f"bedrock-titan:{TITAN}", "A color?")
    assert response.text == "\nBlue.\n" and response.finish_reason.unified == "stop" and usage_of(response) == (9, 4)
    assert response.cost is not None
    verify(sent(route), SECRET)


TITAN_CHUNKS = [
    {"outputText": "Blue", "index": 0, "totalOutputTextTokenCount": 1, "completionReason": None, "inputTextTokenCount": 9},
    {"outputText": " sky.", "index": 0, "totalOutputTextTokenCount": 3, "completionReason": "FINISH", "inputTextTokenCount": None,
     "amazon-bedrock-invocationMetrics": {"inputTokenCount": 9, "outputTokenCount": 3, "invocationLatency": 200, "firstByteLatency": 90}},
]


def test_titan_stream_as_shipped(mock: respx.MockRouter) -> None:
    """FAILS until the engine change (chunks as the Titan parameters page describes the stream)."""
    serve(mock, "/model/amazon.titan-text-express-v1/invoke-with-response-stream", b"".join(chunk(c) for c in TITAN_CHUNKS))
    with make_client() as client:
        out = run_stream(client, f"bedrock-titan:{TITAN}")
    assert out[-1].type == "finish", f"{ENGINE_CHANGE}; got {out[-1].error!r}"


def test_titan_stream_with_payload_framing(mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    name = payload_framing_registered(monkeypatch, tmp_path, "bedrock-titan")
    serve(mock, "/model/amazon.titan-text-express-v1/invoke-with-response-stream", b"".join(chunk(c) for c in TITAN_CHUNKS))
    with make_client(spec_paths=[str(tmp_path)]) as client:
        out = run_stream(client, f"{name}:{TITAN}")
    assert out[-1].type == "finish", out[-1]
    assert out[-1].response.text == "Blue sky." and usage_of(out[-1].response) == (9, 3)
    assert out[-1].response.finish_reason.unified == "stop"


# ============================================================================ async
def test_async_stream_signs_and_parses(mock: respx.MockRouter) -> None:
    import asyncio

    folder, data = case("converse-stream-tool-use")
    model = model_of(data)
    route = serve(mock, f"/model/{model.replace(':', '%3A')}/converse-stream", (folder / "eventstream.bin").read_bytes())

    async def main() -> specwire.Response:
        async with make_client() as client:
            return await client.astream(f"bedrock:{model}", "Weather?").until_done()

    response = asyncio.run(main())
    assert [c.tool_name for c in response.tool_calls] == [t["name"] for t in data["expected"]["tool_calls"]]
    verify(sent(route), SECRET)


def test_unfinished_invoke_stream_fails_loudly(mock: respx.MockRouter) -> None:
    """A Llama stream that stops before a chunk with stop_reason never ends in a synthetic finish: a
    StreamError today (no rule matches the undecoded chunk), an IncompleteStreamError once the payload
    framing is registered."""
    serve(mock, f"{LLAMA_PATH}/invoke-with-response-stream", chunk(LLAMA_CHUNKS[0]))
    with make_client() as client:
        out = run_stream(client, f"bedrock-llama:{LLAMA}")
    assert out[-1].type == "error" and isinstance(out[-1].error, StreamError)


@pytest.mark.parametrize(("ref", "path"), [
    (f"bedrock:{CLAUDE}", f"/model/{CLAUDE}/converse"),
    (f"bedrock-llama:{LLAMA}", f"{LLAMA_PATH}/invoke"),
    (f"bedrock-titan:{TITAN}", f"/model/{TITAN}/invoke"),
])
def test_http_error_type_comes_from_the_error_type_header(ref: str, path: str, mock: respx.MockRouter) -> None:
    """Bedrock's HTTP error body is ``{"message": …}``; the type is only in ``x-amzn-ErrorType``
    (https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html): every Bedrock spec
    reads it there."""
    mock.post(f"{BASE}{path}").mock(return_value=httpx.Response(
        400, json={"message": "Malformed input request"},
        headers={"x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/", "x-amzn-requestid": "rid-7"}))
    with make_client() as client, pytest.raises(BadRequestError) as info:
        client.complete(ref, "Hello")
    assert info.value.error_type == "ValidationException" and info.value.request_id == "rid-7"
