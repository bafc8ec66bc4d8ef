"""The operations mechanism (docs/ARCHITECTURE.md section 4, "Operations"): an ``operations:``
entry compiled with its spec, its request built pure, its body read into fields, and the call sent
with the chat call's retry policy, on a real loopback server through all three I/O flavors (sync,
async over httpx, async over aiohttp).

The provider here is a test spec (``opsprov``, extending the built-in OpenAI spec) whose
operations exercise batching, pagination and ``id_prefix``; the bodies follow OpenAI's documented
shapes, https://platform.openai.com/docs/api-reference/embeddings/object and
https://platform.openai.com/docs/api-reference/models/list ."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from specwire import (
    AuthenticationError,
    BadRequestError,
    Client,
    ConfigError,
    RequestBuildError,
    ResponseParseError,
    UnsupportedOperationError,
)
from specwire.operations import build_operation, operation_of, parse_operation
from specwire.registry import SpecRegistry
from specwire.retry import Timeouts
from tests.hostile.server import HostileServer, Reply

FLAVORS = ("sync", "async", "async-aiohttp")
KEY = "sk-ops-test-key"

SPEC = """\
spec_version: 1
provider: opsprov
extends: openai
base_url: https://api.opsprov.test/v1
env: {api_key: OPSPROV_API_KEY}
operations:
  embed:
    max_batch: 2
    accepts: [dimensions]
  list_models:
    id_prefix: models/
    query:
      after: "{{ page or omit }}"
    response:
      models: data
      id: id
      created: created
      next_page: "has_more && last_id || `null`"
models:
  - id: emb-1
    pricing: {input: 0.02, output: 0.0}
  - id: chat-1
"""


def _registry(tmp_path: Path, text: str = SPEC) -> SpecRegistry:
    (tmp_path / "opsprov.yaml").write_text(text, encoding="utf-8")
    return SpecRegistry([tmp_path], user_config=False, env={})


def _client(reg: SpecRegistry, server: HostileServer, flavor: str, **kwargs: Any) -> Client:
    if flavor == "async-aiohttp":
        kwargs["async_backend"] = "aiohttp"
    return Client(registry=reg, api_keys={"opsprov": KEY}, base_urls={"opsprov": server.url("/v1")}, load_entry_points=False,
                  timeout=Timeouts(connect=2.0, read=5.0, pool=2.0), **kwargs)


def _run(flavor: str, client: Client, method: str, *args: Any, **kwargs: Any) -> Any:
    if flavor == "sync":
        with client:
            return getattr(client, method)(*args, **kwargs)

    async def go() -> Any:
        try:
            return await getattr(client, "a" + method)(*args, **kwargs)
        finally:
            await client.aclose()

    return asyncio.run(go())


def _json(status: int, body: Any) -> Reply:
    return Reply(status, (("content-type", "application/json"),), json.dumps(body).encode())


def _embedding_body(*vectors: list[float], tokens: int = 3, reverse: bool = False) -> Reply:
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    if reverse:
        data.reverse()
    return _json(200, {"object": "list", "data": data, "model": "emb-1", "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


@pytest.fixture
def server() -> Any:
    with HostileServer() as s:
        yield s


# ---------------------------------------------------------------------------- embed
@pytest.mark.parametrize("flavor", FLAVORS)
def test_embed_batches_at_max_batch_and_keeps_the_input_order(tmp_path: Path, server: HostileServer, flavor: str) -> None:
    server.script(_embedding_body([1.0], [2.0], tokens=4, reverse=True), _embedding_body([3.0], tokens=2))
    client = _client(_registry(tmp_path), server, flavor)
    result = _run(flavor, client, "embed", "opsprov:emb-1", ["a", "b", "c"], dimensions=1)
    assert result.vectors == [[1.0], [2.0], [3.0]]  # the first batch came back reversed: `index` orders it
    assert [r.json()["input"] for r in server.requests] == [["a", "b"], ["c"]]
    assert all(r.json()["dimensions"] == 1 for r in server.requests)
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in server.requests)
    assert server.requests[0].path == "/v1/embeddings"
    assert result.usage is not None and result.usage.input_tokens == 6 and result.usage.output_tokens == 0
    assert result.cost is not None and result.cost.total == pytest.approx(6 * 0.02 / 1e6)
    assert result.provider == "opsprov" and result.model == "emb-1"


@pytest.mark.parametrize(("count", "requests"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)])
def test_batch_boundaries(tmp_path: Path, server: HostileServer, count: int, requests: int) -> None:
    sizes = [min(2, count - i) for i in range(0, count, 2)]
    server.script(*[_embedding_body(*[[float(i)] for i in range(n)]) for n in sizes])
    result = _run("sync", _client(_registry(tmp_path), server, "sync"), "embed", "opsprov:emb-1", [f"t{i}" for i in range(count)])
    assert len(server.requests) == requests
    assert len(result.vectors) == count


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_server_error_is_retried_then_succeeds(tmp_path: Path, server: HostileServer, flavor: str) -> None:
    server.script(_json(500, {"error": {"message": "boom", "type": "server_error"}}), _embedding_body([0.5]))
    result = _run(flavor, _client(_registry(tmp_path), server, flavor), "embed", "opsprov:emb-1", "a")
    assert result.vectors == [[0.5]]
    assert len(server.requests) == 2


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_bad_request_is_mapped_by_the_spec_and_not_retried(tmp_path: Path, server: HostileServer, flavor: str) -> None:
    server.script(_json(400, {"error": {"message": "input too long", "type": "invalid_request_error", "code": "bad"}}))
    with pytest.raises(BadRequestError) as info:
        _run(flavor, _client(_registry(tmp_path), server, flavor), "embed", "opsprov:emb-1", "a")
    assert "input too long" in str(info.value)
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_body_that_is_not_json_is_a_parse_error(tmp_path: Path, server: HostileServer, flavor: str) -> None:
    server.script(Reply(200, (("content-type", "text/html"),), b"<html>gateway</html>"))
    with pytest.raises(ResponseParseError):
        _run(flavor, _client(_registry(tmp_path), server, flavor), "embed", "opsprov:emb-1", "a")


@pytest.mark.parametrize(("body", "problem"), [
    ({"data": [{"index": 0, "embedding": [1.0]}, {"index": 1, "embedding": [2.0]}]}, "expected 1 vectors, got 2"),
    ({"data": [{"index": 0, "embedding": ["x"]}]}, "not a list of numbers"),
    ({"data": [{"index": 0, "embedding": [True]}]}, "not a list of numbers"),
    ({"object": "list"}, "has no vectors"),
])
def test_vectors_of_another_shape_are_refused(tmp_path: Path, server: HostileServer, body: Any, problem: str) -> None:
    server.script(_json(200, body))
    with pytest.raises(ResponseParseError, match=problem):
        _run("sync", _client(_registry(tmp_path), server, "sync"), "embed", "opsprov:emb-1", "a")


@pytest.mark.parametrize(("inputs", "problem"), [([], "at least one input"), ([""], "input 0"), (["a", 3], "input 1")])
def test_inputs_are_checked_before_any_request(tmp_path: Path, server: HostileServer, inputs: Any, problem: str) -> None:
    with pytest.raises(RequestBuildError, match=problem):
        _run("sync", _client(_registry(tmp_path), server, "sync"), "embed", "opsprov:emb-1", inputs)
    assert server.requests == []


def test_an_option_the_provider_does_not_take_is_dropped_with_a_warning(tmp_path: Path, server: HostileServer) -> None:
    server.script(_embedding_body([1.0]))
    result = _run("sync", _client(_registry(tmp_path), server, "sync"), "embed", "opsprov:emb-1", "a", input_type="query")
    assert "input_type" not in server.requests[0].json()
    assert [(w.kind, w.param) for w in result.warnings] == [("unsupported-param", "input_type")]


def test_an_unknown_keyword_is_refused_with_a_suggestion(tmp_path: Path, server: HostileServer) -> None:
    with pytest.raises(RequestBuildError, match="dimensions"):
        _run("sync", _client(_registry(tmp_path), server, "sync"), "embed", "opsprov:emb-1", "a", dimension=3)


def test_a_provider_without_the_operation_says_so(registry: SpecRegistry) -> None:
    spec = registry.get("anthropic")
    with pytest.raises(UnsupportedOperationError, match="embed"):
        operation_of(spec, "embed")
    with pytest.raises(UnsupportedOperationError):
        Client(registry=registry, api_keys={"anthropic": "k"}, load_entry_points=False).embed("anthropic:claude-sonnet-5-5", "a")


@pytest.mark.parametrize("method", ["embed", "list_models"])
def test_a_key_from_the_environment_is_not_sent_to_another_host(registry: SpecRegistry, server: HostileServer, method: str) -> None:
    client = Client(registry=registry, env={"OPENAI_API_KEY": KEY}, load_entry_points=False)
    args = ("openai:text-embedding-3-small", "a") if method == "embed" else ("openai",)
    with pytest.raises(ConfigError) as info:
        _run("sync", client, method, *args, base_url=server.url("/v1"))
    assert "OPENAI_API_KEY" in str(info.value)
    assert KEY not in str(info.value)
    assert server.requests == []


# ---------------------------------------------------------------------------- list_models
@pytest.mark.parametrize("flavor", FLAVORS)
def test_list_models_follows_pages_strips_the_prefix_and_merges_the_catalog(tmp_path: Path, server: HostileServer, flavor: str) -> None:
    server.script(
        _json(200, {"data": [{"id": "models/chat-1", "created": 10}, {"id": "models/new-1"}], "has_more": True, "last_id": "models/new-1"}),
        _json(200, {"data": [{"id": "models/new-2", "created": 30}], "has_more": False, "last_id": "models/new-2"}),
    )
    models = _run(flavor, _client(_registry(tmp_path), server, flavor), "list_models", "opsprov")
    assert [(m.id, m.listed, m.in_catalog) for m in models] == [("chat-1", True, True), ("new-1", True, False), ("new-2", True, False), ("emb-1", False, True)]
    assert models[0].created == 10 and models[1].created is None
    assert server.requests[0].query == "" and parse_qs(server.requests[1].query) == {"after": ["models/new-1"]}
    assert all(r.method == "GET" and r.body == b"" for r in server.requests)


def test_list_models_without_the_catalog(tmp_path: Path, server: HostileServer) -> None:
    server.script(_json(200, {"data": [{"id": "models/chat-1"}], "has_more": False}))
    models = _run("sync", _client(_registry(tmp_path), server, "sync"), "list_models", "opsprov", include_catalog=False)
    assert [m.id for m in models] == ["chat-1"]


def test_list_models_maps_an_auth_error(tmp_path: Path, server: HostileServer) -> None:
    server.script(_json(401, {"error": {"message": "bad key", "type": "invalid_request_error"}}))
    with pytest.raises(AuthenticationError):
        _run("sync", _client(_registry(tmp_path), server, "sync"), "list_models", "opsprov")


def test_list_models_takes_a_provider_not_a_model_ref(tmp_path: Path, server: HostileServer) -> None:
    with pytest.raises(Exception, match="provider id"):
        _run("sync", _client(_registry(tmp_path), server, "sync"), "list_models", "opsprov:chat-1")


# ---------------------------------------------------------------------------- the pure stages
def test_the_plan_is_pure_and_carries_the_spec_headers(registry: SpecRegistry) -> None:
    spec = registry.get("anthropic")
    op = operation_of(registry.get("openai"), "list_models")
    plan = build_operation(registry.get("openai"), op, model="m")
    assert plan.method == "GET" and plan.url == "https://api.openai.com/v1/models" and plan.body is None
    assert "content-type" not in plan.headers
    assert spec.operations.get("embed") is None


def test_parse_operation_requires_the_declared_fields(registry: SpecRegistry) -> None:
    spec = registry.get("openai")
    op = operation_of(spec, "embed")
    assert parse_operation(spec, op, {"data": [{"embedding": [1]}]})["vectors"] == [[1]]
    with pytest.raises(ResponseParseError):
        parse_operation(spec, op, {"data": "nope"})


@pytest.mark.parametrize(("entry", "message"), [
    ("  embed:\n    path: /e\n    response: {vectors: null, index: x}\n", "vectors"),  # null removes the inherited field
    ("  embed:\n    path: /e\n    response: {vectors: x, colour: y}\n", "colour"),
    ("  embed:\n    path: /e\n    accepts: [temperature]\n    response: {vectors: x}\n", "temperature"),
    ("  list_models:\n    path: /m\n    response: {id: null}\n", "'id'"),
])
def test_validate_spec_reports_operation_mistakes(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "opsbad.yaml"
    path.write_text("spec_version: 1\nprovider: opsbad\nextends: openai\noperations:\n" + entry, encoding="utf-8")
    issues = SpecRegistry([tmp_path], user_config=False, env={}).check_file(path)
    errors = [i for i in issues if i.level == "error"]
    assert errors, issues
    assert any(message in i.message for i in errors), [i.message for i in errors]


def test_validate_spec_reports_a_template_variable_an_operation_does_not_provide(tmp_path: Path) -> None:
    path = tmp_path / "opsvar.yaml"
    path.write_text("spec_version: 1\nprovider: opsvar\nextends: openai\noperations:\n  embed:\n    body: {input: \"{{ input }}\"}\n", encoding="utf-8")
    issues = [i for i in SpecRegistry([tmp_path], user_config=False, env={}).check_file(path) if i.rule == "template-variable"]
    assert [i.message.split(",")[0] for i in issues] == ["template reads 'input'"]
    assert "did you mean 'inputs'" in issues[0].message
