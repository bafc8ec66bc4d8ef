"""The gateway in process (Starlette's TestClient) and its translation pieces, without the SDK."""

from __future__ import annotations

import hashlib
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from specwire import errors as e  # noqa: E402
from specwire.gateway import GatewayError, GatewayKey, create_app  # noqa: E402
from specwire.gateway.config import GatewayConfig, parse_gateway, split_config  # noqa: E402
from specwire.gateway.errors import classify  # noqa: E402
from specwire.gateway.wire import Endpoint, EventWriter, WireAPI, serve_sections  # noqa: E402
from specwire.registry import default_registry  # noqa: E402
from specwire.router.errors import LocalRateLimitError, NoDeploymentAvailableError  # noqa: E402
from specwire.types import FinishReason, Finish, Response, TextDelta, ToolCallDelta, ToolCallPart, ToolCallStart, Usage  # noqa: E402

from .conftest import ENV, GATEWAY_KEY, MAX_BODY, router_config  # noqa: E402
from .fake_upstream import TEXT, FakeUpstream  # noqa: E402

pytestmark = pytest.mark.timeout(60)
AUTH = {"authorization": f"Bearer {GATEWAY_KEY}"}
HI = {"model": "chat", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture(scope="module")
def tc(upstream: FakeUpstream) -> Iterator[TestClient]:
    with TestClient(create_app(router_config(upstream), env=ENV)) as client:
        yield client


# ---------------------------------------------------------------------------- the app
def test_chat_in_process(tc: TestClient) -> None:
    r = tc.post("/v1/chat/completions", json=HI, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == TEXT
    assert len(r.headers["x-request-id"]) == 32  # a new id when the caller sends none


def test_x_api_key_header_authenticates(tc: TestClient) -> None:
    assert tc.post("/v1/chat/completions", json=HI, headers={"x-api-key": GATEWAY_KEY}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {GATEWAY_KEY}"}])
def test_missing_or_wrong_key(tc: TestClient, headers: dict[str, str]) -> None:
    r = tc.post("/v1/chat/completions", json=HI, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"
    assert tc.get("/v1/models", headers=headers).status_code == 401


def test_bad_request_id_replaced(tc: TestClient) -> None:
    r = tc.post("/v1/chat/completions", json=HI, headers={**AUTH, "x-request-id": "bad id\twith spaces"})
    assert r.headers["x-request-id"] != "bad id\twith spaces"


def test_body_cap_by_content_length_and_by_stream(tc: TestClient) -> None:
    big = json.dumps({**HI, "messages": [{"role": "user", "content": "x" * MAX_BODY}]}).encode()
    r = tc.post("/v1/chat/completions", content=big, headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["type"] == "invalid_request_error"

    def chunks() -> Iterator[bytes]:  # no content-length: chunked, counted as it arrives
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096]

    assert tc.post("/v1/chat/completions", content=chunks(), headers={**AUTH, "content-type": "application/json"}).status_code == 413


@pytest.mark.parametrize(("body", "param"), [
    (b"{not json", None),
    (b"[1, 2]", None),
    (json.dumps({"messages": [{"role": "user", "content": "Hi"}]}).encode(), "model"),
    (json.dumps({"model": "chat", "messages": []}).encode(), "messages"),
    (json.dumps({**HI, "frobnicate": 1}).encode(), "frobnicate"),
    (json.dumps({**HI, "n": 2}).encode(), "n"),
])
def test_invalid_requests(tc: TestClient, body: bytes, param: str | None) -> None:
    r = tc.post("/v1/chat/completions", content=body, headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 400
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error" and error["param"] == param


def test_invalid_message_is_a_400(tc: TestClient) -> None:
    r = tc.post("/v1/chat/completions", json={"model": "chat", "messages": [{"role": "wizard", "content": "Hi"}]}, headers=AUTH)
    assert r.status_code == 400


def test_health(tc: TestClient) -> None:
    assert tc.get("/health/live").json() == {"status": "ok"}
    assert tc.get("/health/ready").status_code == 200


def test_no_keys_refused_unless_anonymous(upstream: FakeUpstream) -> None:
    config = router_config(upstream)
    del config["gateway"]
    with pytest.raises(e.ConfigError, match="no keys"):
        create_app(config, env=ENV)
    with TestClient(create_app(config, env=ENV, allow_anonymous=True)) as client:
        assert client.post("/v1/chat/completions", json=HI).status_code == 200


def test_keys_argument_and_router_instance(upstream: FakeUpstream) -> None:
    from specwire.router import Router

    config = router_config(upstream)
    del config["gateway"]
    with Router(config, env=ENV) as router:
        with TestClient(create_app(router, keys=["plain-key"], max_body_bytes=20)) as client:
            assert client.get("/v1/models", headers={"authorization": "Bearer plain-key"}).json()["object"] == "list"
            assert client.post("/v1/chat/completions", json=HI, headers={"authorization": "Bearer plain-key"}).status_code == 413


# ---------------------------------------------------------------------------- config
def test_gateway_section() -> None:
    digest = hashlib.sha256(b"k2").hexdigest()
    config = parse_gateway({"max_body_bytes": 10, "keys": [{"name": "a", "key_env": "K1", "models": ["gpt-*"]}, {"sha256": digest.upper(), "groups": ["g"]}]}, env={"K1": "k1"})
    assert config.max_body_bytes == 10
    a, b = config.keys
    assert config.authenticate("k1") is a and config.authenticate("k2") is b and config.authenticate("k3") is None and config.authenticate(None) is None
    assert a.allows("gpt-5", None) and not a.allows("claude", "g")
    assert b.allows("anything", "g") and not b.allows("anything", "h")
    assert GatewayKey("open", "0" * 64).allows("x", None)
    assert "k1" not in repr(config) and a.digest not in repr(a)


@pytest.mark.parametrize(("section", "message"), [
    ({"keys": [{"key_env": "K1", "sha256": "0" * 64}]}, "exactly one"),
    ({"keys": [{}]}, "exactly one"),
    ({"keys": [{"sha256": "abc"}]}, "64 hex"),
    ({"keys": [{"key_env": "UNSET"}]}, "not set"),
    ({"keys": [{"sha256": "0" * 64, "modles": ["x"]}]}, "unknown field"),
    ({"keyz": []}, "unknown field"),
    ({"max_body_bytes": 0}, "positive"),
    ({"keys": [{"name": "a", "sha256": "0" * 64}, {"name": "a", "sha256": "1" * 64}]}, "twice"),
    ({"keys": [{"sha256": "0" * 64, "models": "gpt-*"}]}, "list"),
])
def test_gateway_section_errors(section: dict[str, Any], message: str) -> None:
    with pytest.raises(e.ConfigError, match=message):
        parse_gateway(section, env={"K1": "k1"})


def test_split_config_file(tmp_path: Any) -> None:
    path = tmp_path / "router.yaml"
    path.write_text("router: {}\ndeployments: []\ngateway:\n  keys: []\n", encoding="utf-8")
    rest, section = split_config(path)
    assert rest == {"router": {}, "deployments": []} and section == {"keys": []}
    plain = tmp_path / "plain.yaml"
    plain.write_text("router: {}\ndeployments: []\n", encoding="utf-8")
    assert split_config(plain) == (plain, None)
    assert GatewayConfig().authenticate("x") is None


# ---------------------------------------------------------------------------- translation
@pytest.fixture(scope="module")
def api() -> WireAPI:
    """The Chat Completions API as providers.d/openai.yaml's serve: section declares it."""
    sections = dict(serve_sections(default_registry()))
    return WireAPI(sections["openai"], name="openai")


@pytest.fixture(scope="module")
def chat(api: WireAPI) -> Endpoint:
    return next(ep for ep in api.endpoints if ep.operation == "chat")


def test_every_serve_section_on_the_default_path_compiles() -> None:
    sections = serve_sections(default_registry())
    assert sections
    paths = [(ep.path, ep.operation) for name, section in sections for ep in WireAPI(section, name=name).endpoints]
    assert len(paths) == len(set(paths))


def test_broken_serve_section_is_a_config_error() -> None:
    with pytest.raises(e.ConfigError, match="serve"):
        WireAPI({"error": {"x": "{{ nope( }}"}, "endpoints": {}}, name="bad")
    with pytest.raises(e.ConfigError):
        WireAPI({"endpoints": {}}, name="bad")


def test_parse_chat_request_options(chat: Endpoint) -> None:
    call = chat.parse({**HI, "max_tokens": 5, "max_completion_tokens": 9, "stop": "END", "reasoning_effort": "low",
                               "stream": True, "stream_options": {"include_usage": True}, "store": False})
    assert call.options == {"max_output_tokens": 9, "stop_sequences": ["END"], "reasoning": {"effort": "low"}}
    assert call.stream and call.include_usage
    assert not chat.parse({**HI, "stream_options": {"include_usage": True}}).include_usage  # only when streaming
    assert chat.parse({**HI, "temperature": None}).options == {}  # null: not given
    with pytest.raises(GatewayError) as info:
        chat.parse({**HI, "n": 3})
    assert (info.value.status, info.value.param) == (400, "n")


def _response(**kw: Any) -> Response:
    return Response(provider="openai", model="m", **kw)


def test_completion_body_with_tool_calls(chat: Endpoint) -> None:
    call = ToolCallPart(tool_call_id="c1", tool_name="f", arguments={"a": 1})
    body = chat.response_body(_response(tool_calls=[call], finish_reason=FinishReason(unified="tool_calls"), usage=Usage(input_tokens=3, output_tokens=2, cache_read_tokens=1)),
                              model="chat", reply_id="id1", created=5)
    assert (body["id"], body["object"], body["created"], body["model"]) == ("id1", "chat.completion", 5, "chat")
    message = body["choices"][0]["message"]
    assert message["content"] is None and message["tool_calls"] == [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}]
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5, "prompt_tokens_details": {"cached_tokens": 1}}


def _events(data: bytes) -> list[Any]:
    out = []
    for line in data.decode().split("\n\n"):
        if line:
            assert line.startswith("data: ")
            text = line[len("data: "):]
            out.append(text if text == "[DONE]" else json.loads(text))
    return out


def test_chunk_writer_tool_calls_count_from_zero(chat: Endpoint) -> None:
    w = EventWriter(chat, model="chat", reply_id="id", include_usage=False, created=1)
    data = w.event(ToolCallStart(index=2, tool_call_id="c", tool_name="f")) + w.event(ToolCallDelta(index=2, delta='{"a"')) + w.event(TextDelta(index=0, delta=""))
    data += w.event(Finish(response=_response(finish_reason=FinishReason(unified="tool_calls"))))
    events = _events(data)
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert events[1]["choices"][0]["delta"]["tool_calls"][0] == {"index": 0, "id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}
    assert events[2]["choices"][0]["delta"]["tool_calls"][0] == {"index": 0, "function": {"arguments": '{"a"'}}
    assert events[3]["choices"][0]["finish_reason"] == "tool_calls" and events[-1] == "[DONE]"
    assert all("usage" not in ev for ev in events[:-1])


@pytest.mark.parametrize(("exc", "status", "retry_after"), [
    (e.RateLimitError("slow down", status=429, retry_after=2.5), 429, "3"),
    (LocalRateLimitError("bucket full", retry_after=1.0), 429, "1"),
    (e.AuthenticationError("bad provider key", status=401), 502, None),
    (e.BadRequestError("bad", status=400, param="temperature"), 400, None),
    (e.ServerError("boom", status=503), 503, None),
    (NoDeploymentAvailableError("all cooling down", retry_after=4), 503, "4"),
    (e.ModelNotFoundError("no model"), 404, None),
    (e.RequestBuildError("bad part"), 400, None),
    (e.ReadTimeout("slow"), 504, None),
    (e.TransportError("reset"), 502, None),
    (e.ConfigError("set SECRET_VAR"), 500, None),
    (RuntimeError("internal detail"), 500, None),
])
def test_classify(api: WireAPI, exc: BaseException, status: int, retry_after: str | None) -> None:
    error = classify(exc)
    assert error.status == status
    assert error.headers().get("retry-after") == retry_after
    body = api.error_body(error)["error"]
    assert set(body) == {"message", "type", "param", "code"}
    if status == 500:
        assert "SECRET_VAR" not in body["message"] and "internal detail" not in body["message"]


def test_gateway_error_passes_through() -> None:
    error = GatewayError(418, "invalid_request", "teapot")
    assert classify(error) is error and "418" in str(error)


def test_a_key_written_into_the_config_file_is_refused_without_echo() -> None:
    with pytest.raises(e.ConfigError) as info:
        parse_gateway({"keys": [{"name": "ok", "sha256": "0" * 64}, "sk-gw-secret-123"]})
    assert "keys[1]" in str(info.value) and "sk-gw-secret-123" not in str(info.value)


def test_validate_spec_accepts_a_router_config_with_a_gateway_section(tmp_path: pathlib.Path) -> None:
    """The router schema declares the section the gateway reads (its fields as parse_gateway knows them)."""
    from specwire.cli.validate import main as validate_main
    from specwire.gateway import config as gateway_config
    from specwire.router.config import router_schema

    declared = router_schema()["$defs"]["gateway"]
    assert set(declared["properties"]) == set(gateway_config._SECTION_FIELDS)
    assert set(declared["properties"]["keys"]["items"]["properties"]) == set(gateway_config._KEY_FIELDS)
    path = tmp_path / "router.yaml"
    path.write_text(
        "router: {}\ndeployments:\n  - {id: a, provider: openai, model: gpt-5.5, api_key_env: OPENAI_API_KEY}\n"
        "gateway:\n  max_body_bytes: 1000\n  keys:\n    - {name: ci, sha256: " + "a" * 64 + ", models: ['gpt-*']}\n",
        encoding="utf-8",
    )
    assert validate_main([str(path)]) == 0
    path.write_text(path.read_text(encoding="utf-8").replace("max_body_bytes", "max_body_bytez"), encoding="utf-8")
    assert validate_main([str(path)]) != 0
