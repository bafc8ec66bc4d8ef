"""``Client.embed`` per provider: the exact wire request (URL, auth header, JSON body with the
``input_type``/``dimensions`` mapping) and the parsed vectors, usage and cost, from a response
body built after each provider's API reference (the URL is on each case)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import respx

from specwire import Client

V1, V2, V3 = [0.0023064255, -0.009327292, 0.015797347], [-0.0028842222, 0.019388575, -0.00011738],  [0.5, -0.25, 0.125]


@dataclass
class Case:
    ref: str
    url: str
    auth: tuple[str, str]          # (header name, value)
    request: dict[str, Any]        # the JSON body sent
    response: dict[str, Any]       # the provider's body
    tokens: int | None             # usage.input_tokens
    cost: float | None             # USD
    doc: str
    client: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ("The food was delicious", "and the waiter")


def _openai_body(model: str, vectors: list[list[float]], tokens: int | None, *, shuffled: bool = False) -> dict[str, Any]:
    data = [{"object": "embedding", "embedding": v, "index": i} for i, v in enumerate(vectors)]
    body: dict[str, Any] = {"object": "list", "data": list(reversed(data)) if shuffled else data, "model": model}
    if tokens is not None:
        body["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
    return body


CASES = [
    Case(
        "openai:text-embedding-3-small", "https://api.openai.com/v1/embeddings", ("authorization", "Bearer sk-test"),
        {"model": "text-embedding-3-small", "input": ["The food was delicious", "and the waiter"], "encoding_format": "float", "dimensions": 3, "user": "u-1"},
        _openai_body("text-embedding-3-small", [V1, V2], 8, shuffled=True), 8, 8 * 0.02 / 1e6,
        "https://platform.openai.com/docs/api-reference/embeddings/create",
        client={"api_keys": {"openai": "sk-test"}}, options={"dimensions": 3, "user": "u-1"},
    ),
    Case(
        "azure-openai:text-embedding-3-large",
        "https://res1.openai.azure.com/openai/deployments/emb-large/embeddings?api-version=2025-04-01-preview", ("api-key", "az-test"),
        {"model": "text-embedding-3-large", "input": ["The food was delicious", "and the waiter"], "encoding_format": "float", "dimensions": 3},
        _openai_body("text-embedding-3-large", [V1, V2], 10), 10, 10 * 0.13 / 1e6,
        "https://learn.microsoft.com/azure/ai-foundry/openai/reference#embeddings",
        client={"api_keys": {"azure-openai": "az-test"}, "settings": {"azure-openai": {"resource": "res1", "deployment": "emb-large"}}}, options={"dimensions": 3},
    ),
    Case(
        "gemini:gemini-embedding-001", "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents", ("x-goog-api-key", "g-test"),
        {"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "The food was delicious"}]}, "taskType": "RETRIEVAL_DOCUMENT", "outputDimensionality": 3},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "and the waiter"}]}, "taskType": "RETRIEVAL_DOCUMENT", "outputDimensionality": 3},
        ]},
        {"embeddings": [{"values": V1}, {"values": V2}]}, None, None,
        "https://ai.google.dev/api/embeddings#method:-models.batchembedcontents",
        client={"api_keys": {"gemini": "g-test"}}, options={"dimensions": 3, "input_type": "document"},
    ),
    Case(
        "vertex:text-embedding-005",
        "https://us-central1-aiplatform.googleapis.com/v1/projects/proj-7/locations/us-central1/publishers/google/models/text-embedding-005:predict", ("x-goog-api-key", "vx-test"),
        {"instances": [{"content": "The food was delicious", "task_type": "RETRIEVAL_QUERY"}, {"content": "and the waiter", "task_type": "RETRIEVAL_QUERY"}],
         "parameters": {"outputDimensionality": 3, "autoTruncate": False}},
        {"predictions": [
            {"embeddings": {"statistics": {"truncated": False, "token_count": 4}, "values": V1}},
            {"embeddings": {"statistics": {"truncated": False, "token_count": 3.0}, "values": V2}},
        ], "metadata": {"billableCharacterCount": 36}}, 7, None,   # priced per character: no token price
        "https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api",
        client={"api_keys": {"vertex": "vx-test"}, "settings": {"vertex": {"project": "proj-7", "location": "us-central1"}}},
        options={"dimensions": 3, "input_type": "query", "truncate": "none"},
    ),
    Case(
        "cohere:embed-v4.0", "https://api.cohere.com/v2/embed", ("authorization", "Bearer co-test"),
        {"model": "embed-v4.0", "texts": ["The food was delicious", "and the waiter"], "input_type": "clustering", "embedding_types": ["float"], "output_dimension": 256, "truncate": "END"},
        {"id": "da6e531f-54c6-4a73-bf92-f60566d8d753", "embeddings": {"float": [V1, V2]}, "texts": ["the food was delicious", "and the waiter"],
         "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 9}}, "response_type": "embeddings_by_type"}, 9, 9 * 0.12 / 1e6,
        "https://docs.cohere.com/reference/embed",
        client={"api_keys": {"cohere": "co-test"}}, options={"dimensions": 256, "input_type": "clustering", "truncate": "end"},
    ),
    Case(   # Cohere requires input_type for v3+: `document` is sent when none is given
        "cohere:embed-english-v3.0", "https://api.cohere.com/v2/embed", ("authorization", "Bearer co-test"),
        {"model": "embed-english-v3.0", "texts": ["The food was delicious", "and the waiter"], "input_type": "search_document", "embedding_types": ["float"]},
        {"id": "1", "embeddings": {"float": [V1, V2]}, "texts": [], "meta": {"billed_units": {"input_tokens": 9}}, "response_type": "embeddings_by_type"}, 9, 9 * 0.10 / 1e6,
        "https://docs.cohere.com/reference/embed",
        client={"api_keys": {"cohere": "co-test"}},
    ),
    Case(
        "mistral:mistral-embed", "https://api.mistral.ai/v1/embeddings", ("authorization", "Bearer mi-test"),
        {"model": "mistral-embed", "input": ["The food was delicious", "and the waiter"], "encoding_format": "float"},
        {"id": "embd-aad6fc62b17349b192ef09225058bc45", "object": "list", "data": [{"object": "embedding", "embedding": V1, "index": 0}, {"object": "embedding", "embedding": V2, "index": 1}],
         "model": "mistral-embed", "usage": {"prompt_tokens": 9, "total_tokens": 9, "completion_tokens": 0}}, 9, 9 * 0.10 / 1e6,
        "https://docs.mistral.ai/api/#tag/embeddings",
        client={"api_keys": {"mistral": "mi-test"}},
    ),
    Case(
        "mistral:codestral-embed", "https://api.mistral.ai/v1/embeddings", ("authorization", "Bearer mi-test"),
        {"model": "codestral-embed", "input": ["The food was delicious", "and the waiter"], "encoding_format": "float", "output_dimension": 3},
        {"id": "embd-1", "object": "list", "data": [{"object": "embedding", "embedding": V1, "index": 0}, {"object": "embedding", "embedding": V2, "index": 1}],
         "model": "codestral-embed", "usage": {"prompt_tokens": 9, "total_tokens": 9}}, 9, 9 * 0.15 / 1e6,
        "https://docs.mistral.ai/api/#tag/embeddings",
        client={"api_keys": {"mistral": "mi-test"}}, options={"dimensions": 3},
    ),
    Case(
        "bedrock:amazon.titan-embed-text-v2:0", "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke", ("authorization", "Bearer br-test"),
        {"inputText": "The food was delicious", "dimensions": 256},
        {"embedding": V1, "embeddingsByType": {"float": V1}, "inputTextTokenCount": 4}, 4, 4 * 0.02 / 1e6,
        "https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html",
        client={"api_keys": {"bedrock": "br-test"}}, options={"dimensions": 256}, inputs=("The food was delicious",),
    ),
    Case(
        "bedrock:cohere.embed-english-v3", "https://bedrock-runtime.us-east-1.amazonaws.com/model/cohere.embed-english-v3/invoke", ("authorization", "Bearer br-test"),
        {"texts": ["The food was delicious", "and the waiter"], "input_type": "search_query", "truncate": "START", "embedding_types": ["float"]},
        {"embeddings": {"float": [V1, V2]}, "id": "7d2a8f8c", "response_type": "embeddings_by_type", "texts": ["the food was delicious", "and the waiter"]}, None, None,
        "https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html",
        client={"api_keys": {"bedrock": "br-test"}}, options={"input_type": "query", "truncate": "start"},
    ),
    Case(
        "together:BAAI/bge-large-en-v1.5", "https://api.together.ai/v1/embeddings", ("authorization", "Bearer tg-test"),
        {"model": "BAAI/bge-large-en-v1.5", "input": ["The food was delicious", "and the waiter"]},
        {"object": "list", "data": [{"object": "embedding", "embedding": V1, "index": 0}, {"object": "embedding", "embedding": V2, "index": 1}],
         "model": "BAAI/bge-large-en-v1.5", "request_id": "8c6b1b6d"}, None, None,
        "https://docs.together.ai/reference/embeddings-2",
        client={"api_keys": {"together": "tg-test"}},
    ),
    Case(
        "fireworks:nomic-ai/nomic-embed-text-v1.5", "https://api.fireworks.ai/inference/v1/embeddings", ("authorization", "Bearer fw-test"),
        {"model": "nomic-ai/nomic-embed-text-v1.5", "input": ["The food was delicious", "and the waiter"], "dimensions": 3},
        _openai_body("nomic-ai/nomic-embed-text-v1.5", [V1, V2], 12), 12, 12 * 0.008 / 1e6,
        "https://docs.fireworks.ai/api-reference/creates-an-embedding-vector-representing-the-input-text",
        client={"api_keys": {"fireworks": "fw-test"}}, options={"dimensions": 3},
    ),
    Case(
        "voyage:voyage-3.5", "https://api.voyageai.com/v1/embeddings", ("authorization", "Bearer vo-test"),
        {"model": "voyage-3.5", "input": ["The food was delicious", "and the waiter"], "input_type": "document", "output_dimension": 256, "truncation": False},
        {"object": "list", "data": [{"object": "embedding", "embedding": V1, "index": 0}, {"object": "embedding", "embedding": V2, "index": 1}],
         "model": "voyage-3.5", "usage": {"total_tokens": 10}}, 10, 10 * 0.06 / 1e6,
        "https://docs.voyageai.com/reference/embeddings-api",
        client={"api_keys": {"voyage": "vo-test"}}, options={"dimensions": 256, "input_type": "document", "truncate": "none"},
    ),
    Case(   # Voyage has query/document only: a clustering text is sent without an input_type
        "voyage:voyage-3-large", "https://api.voyageai.com/v1/embeddings", ("authorization", "Bearer vo-test"),
        {"model": "voyage-3-large", "input": ["The food was delicious", "and the waiter"]},
        {"object": "list", "data": [{"object": "embedding", "embedding": V1, "index": 0}, {"object": "embedding", "embedding": V2, "index": 1}],
         "model": "voyage-3-large", "usage": {"total_tokens": 10}}, 10, 10 * 0.18 / 1e6,
        "https://docs.voyageai.com/reference/embeddings-api",
        client={"api_keys": {"voyage": "vo-test"}}, options={"input_type": "clustering"},
    ),
    Case(
        "jina:jina-embeddings-v3", "https://api.jina.ai/v1/embeddings", ("authorization", "Bearer jina-test"),
        {"model": "jina-embeddings-v3", "input": ["The food was delicious", "and the waiter"], "embedding_type": "float", "task": "retrieval.query", "dimensions": 32, "truncate": True},
        {"model": "jina-embeddings-v3", "object": "list", "usage": {"total_tokens": 14, "prompt_tokens": 14},
         "data": [{"object": "embedding", "index": 0, "embedding": V1}, {"object": "embedding", "index": 1, "embedding": V2}]}, 14, 14 * 0.05 / 1e6,
        "https://jina.ai/embeddings/",
        client={"api_keys": {"jina": "jina-test"}}, options={"dimensions": 32, "input_type": "query", "truncate": "end"},
    ),
    Case(
        "jina:jina-embeddings-v3", "https://api.jina.ai/v1/embeddings", ("authorization", "Bearer jina-test"),
        {"model": "jina-embeddings-v3", "input": ["The food was delicious", "and the waiter"], "embedding_type": "float", "task": "separation"},
        {"model": "jina-embeddings-v3", "object": "list", "usage": {"total_tokens": 14, "prompt_tokens": 14},
         "data": [{"object": "embedding", "index": 1, "embedding": V2}, {"object": "embedding", "index": 0, "embedding": V1}]}, 14, 14 * 0.05 / 1e6,
        "https://jina.ai/embeddings/",
        client={"api_keys": {"jina": "jina-test"}}, options={"input_type": "clustering"},
    ),
    Case(
        "ollama:nomic-embed-text", "http://localhost:11434/v1/embeddings", ("authorization", ""),
        {"model": "nomic-embed-text", "input": ["The food was delicious", "and the waiter"], "encoding_format": "float"},
        _openai_body("nomic-embed-text", [V1, V2], 6), 6, None,
        "https://docs.ollama.com/api/openai-compatibility",
    ),
    Case(
        "vllm:intfloat/e5-mistral-7b-instruct", "http://localhost:8000/v1/embeddings", ("authorization", ""),
        {"model": "intfloat/e5-mistral-7b-instruct", "input": ["The food was delicious", "and the waiter"], "encoding_format": "float", "dimensions": 3},
        {"id": "embd-5c5c2a3b", "object": "list", "created": 1733000000, "model": "intfloat/e5-mistral-7b-instruct",
         "data": [{"index": 0, "object": "embedding", "embedding": V1}, {"index": 1, "object": "embedding", "embedding": V2}],
         "usage": {"prompt_tokens": 11, "total_tokens": 11, "completion_tokens": 0}}, 11, None,
        "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html#embeddings-api",
        options={"dimensions": 3},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.ref}-{i}" for i, c in enumerate(CASES)])
def test_embed_wire_and_result(case: Case) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(case.url).respond(json=case.response)
        with Client(env={}, load_entry_points=False, **case.client) as client:
            result = client.embed(case.ref, list(case.inputs), **case.options)
    request = route.calls.last.request
    assert str(request.url) == case.url
    name, value = case.auth
    if value:
        assert request.headers[name] == value
    else:
        assert "authorization" not in request.headers
    assert json.loads(request.content) == case.request
    expected = [V1, V2][: len(case.inputs)]
    assert result.vectors == expected
    assert result.provider == case.ref.split(":")[0]
    if case.tokens is None:
        assert result.usage is None
    else:
        assert result.usage is not None and result.usage.input_tokens == case.tokens and result.usage.output_tokens == 0
    if case.cost is None:
        assert result.cost is None
    else:
        assert result.cost is not None and result.cost.total == pytest.approx(case.cost)


@pytest.mark.parametrize("ref", ["anthropic:claude-sonnet-5-5", "deepseek:deepseek-chat", "groq:llama-3.3-70b-versatile", "cerebras:gpt-oss-120b", "perplexity:sonar", "huggingface:openai/gpt-oss-120b"])
def test_providers_without_embeddings(ref: str) -> None:
    from specwire import UnsupportedOperationError

    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(json={})
        with Client(env={}, load_entry_points=False, api_keys={ref.split(":")[0]: "k"}) as client, pytest.raises(UnsupportedOperationError):
            client.embed(ref, ["x"])
    assert not route.called
