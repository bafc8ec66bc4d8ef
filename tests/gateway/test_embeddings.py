"""``POST /v1/embeddings``: the unmodified ``openai`` SDK (float and base64, the SDK's default, which it
decodes as little-endian float32) against ``specwire serve`` in a subprocess, and in process (Starlette's
TestClient) the refusals and the metrics.  Wire shape: https://platform.openai.com/docs/api-reference/embeddings/create"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from typing import Any

import pytest

openai = pytest.importorskip("openai")
pytest.importorskip("prometheus_client")

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from specwire.gateway import create_app  # noqa: E402

from .conftest import ENV, GATEWAY_KEY, OTHER_KEY, UPSTREAM_KEY, router_config  # noqa: E402
from .fake_upstream import EMBED_TOKENS, FakeUpstream, embedding_of  # noqa: E402

pytestmark = pytest.mark.timeout(60)
AUTH = {"authorization": f"Bearer {GATEWAY_KEY}"}
PRICE = 0.02e-6  # text-embedding-3-small, USD per input token (providers.d/openai.yaml)


@pytest.fixture
def client(gateway_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=gateway_url + "/v1", api_key=GATEWAY_KEY, max_retries=0, timeout=15) as c:
        yield c


def test_sdk_float(client: openai.OpenAI, upstream: FakeUpstream) -> None:
    reply = client.embeddings.create(model="chat", input=["one", "three"], encoding_format="float", dimensions=4, user="u-1")
    assert reply.object == "list" and reply.model == "chat"
    assert [d.index for d in reply.data] == [0, 1] and all(d.object == "embedding" for d in reply.data)
    assert [d.embedding for d in reply.data] == [embedding_of("one", 4), embedding_of("three", 4)]
    assert (reply.usage.prompt_tokens, reply.usage.total_tokens) == (2 * EMBED_TOKENS, 2 * EMBED_TOKENS)
    body, headers = upstream.requests[-1]
    assert body["input"] == ["one", "three"] and body["dimensions"] == 4 and body["user"] == "u-1"
    assert body["model"] == "gpt-fake" and headers["authorization"] == f"Bearer {UPSTREAM_KEY}"


def test_sdk_base64_default(client: openai.OpenAI, gateway_url: str) -> None:
    reply = client.embeddings.create(model="chat", input="hello")  # the SDK asks for base64 and decodes it
    assert [d.embedding for d in reply.data] == [embedding_of("hello")]
    raw = client.embeddings.with_raw_response.create(model="chat", input="hello", encoding_format="base64")
    data = json.loads(raw.http_response.text)["data"][0]["embedding"]
    assert isinstance(data, str)
    packed = base64.b64decode(data)
    assert list(struct.unpack(f"<{len(packed) // 4}f", packed)) == embedding_of("hello")


def test_sdk_errors(client: openai.OpenAI, gateway_url: str) -> None:
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="chat", input=[[1, 2, 3]])  # token arrays are refused
    with pytest.raises(openai.PermissionDeniedError):
        with openai.OpenAI(base_url=gateway_url + "/v1", api_key=OTHER_KEY, max_retries=0, timeout=15) as other:
            other.embeddings.create(model="chat", input="x")
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="gpt-nope", input="x")


# ---------------------------------------------------------------------------- in process
def _config(upstream: FakeUpstream) -> dict[str, Any]:
    config = router_config(upstream)
    for dep in config["deployments"]:
        dep["model"] = "text-embedding-3-small"
    return config


@pytest.fixture
def tc(upstream: FakeUpstream) -> Iterator[TestClient]:
    with TestClient(create_app(_config(upstream), env=ENV)) as c:
        yield c


@pytest.mark.parametrize("body", [
    {"model": "chat", "input": []},
    {"model": "chat", "input": [1, 2]},
    {"model": "chat", "input": ""},
    {"model": "chat"},
    {"input": "x"},
    {"model": "chat", "input": "x", "encoding_format": "int8"},
    {"model": "chat", "input": "x", "unknown_field": 1},
])
def test_refused(tc: TestClient, body: dict[str, Any]) -> None:
    r = tc.post("/v1/embeddings", json=body, headers=AUTH)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_needs_a_key(tc: TestClient) -> None:
    assert tc.post("/v1/embeddings", json={"model": "chat", "input": "x"}).status_code == 401


def test_metrics(tc: TestClient) -> None:
    for _ in range(2):
        r = tc.post("/v1/embeddings", json={"model": "chat", "input": ["a", "b", "c"], "encoding_format": "float"}, headers=AUTH)
        assert r.status_code == 200, r.text
        assert r.json()["usage"] == {"prompt_tokens": 3 * EMBED_TOKENS, "total_tokens": 3 * EMBED_TOKENS}
    text = tc.get("/metrics", headers=AUTH).text
    samples = {(s.name, frozenset(s.labels.items())): s.value for f in text_string_to_metric_families(text) for s in f.samples}

    def total(name: str, **labels: str) -> float:
        return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)

    assert total("specwire_gateway_requests_total", endpoint="/v1/embeddings", model="chat", status="200") == 2
    assert total("specwire_gateway_requests_total", endpoint="/v1/embeddings", deployment="up") == 2  # the one that served them
    assert total("specwire_gateway_tokens_total", endpoint="/v1/embeddings", direction="input") == 6 * EMBED_TOKENS
    assert total("specwire_gateway_tokens_total", endpoint="/v1/embeddings", direction="output") == 0
    assert total("specwire_gateway_cost_usd_total", endpoint="/v1/embeddings") == pytest.approx(6 * EMBED_TOKENS * PRICE)
