"""Every usage field the official SDKs read is mapped or kept raw on purpose, and a stream and a
non-stream response with the same usage give the same :class:`Usage` and :class:`Cost` (issue 10).

What this protects:

* the OpenAI cache-write gap: ``prompt_tokens_details.cache_write_tokens`` (openai 3.63.0
  ``PromptTokensDetails``) was not mapped, so ``usage.cache_write_tokens`` was ``None`` and the cost
  left out cache writes although the catalog prices them;
* the same kind of gap in every API family: :data:`SDK_FIELDS` lists the usage fields of the newest
  SDK types (the type and version named per entry), and each spec must map every one or list it in
  ``usage.raw_fields`` (the data ``validate-spec``'s ``usage-unmapped`` check reads);
* the check itself: a usage field a sample holds that the spec neither maps nor lists is reported,
  and listing it clears the finding;
* stream/non-stream agreement, per built-in spec, on faithfully constructed bodies of its API
  family that carry every SDK usage field with distinct non-zero numbers.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from specwire.cli.validate import validate_paths
from specwire.framing.eventstream import encode_message
from specwire.process import ResponseProcessor
from specwire.registry import SpecRegistry
from specwire.accounting import USAGE_NUMBERS
from specwire.spec.usage_fields import UNMAPPED_RULE, accounted_paths, unaccounted, usage_paths

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = ROOT / "providers.d"
REGISTRY = SpecRegistry()

# ---------------------------------------------------------------------------------------- SDK types
OPENAI_CHAT = [  # openai 3.63.0 openai/types/completion_usage.py CompletionUsage
    "prompt_tokens", "completion_tokens", "total_tokens",
    "prompt_tokens_details.cached_tokens", "prompt_tokens_details.cache_write_tokens",
    "prompt_tokens_details.audio_tokens", "prompt_tokens_details.image_tokens", "prompt_tokens_details.text_tokens",
    "completion_tokens_details.reasoning_tokens", "completion_tokens_details.audio_tokens",
    "completion_tokens_details.text_tokens", "completion_tokens_details.accepted_prediction_tokens",
    "completion_tokens_details.rejected_prediction_tokens",
]
SDK_FIELDS: dict[str, list[str]] = {
    "openai": OPENAI_CHAT,
    # openai 3.63.0 openai/types/responses/response_usage.py ResponseUsage
    "openai-responses": [
        "input_tokens", "output_tokens", "total_tokens", "input_tokens_details.cached_tokens",
        "input_tokens_details.cache_write_tokens", "input_tokens_details.cache_write_tokens_details.ttl_30m_tokens",
        "input_tokens_details.cache_write_tokens_details.ttl_12h_tokens", "output_tokens_details.reasoning_tokens",
    ],
    # anthropic 2.17.0 anthropic/types/usage.py Usage (+ cache_creation.py, server_tool_usage.py, output_tokens_details.py)
    "anthropic": [
        "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
        "cache_creation.ephemeral_5m_input_tokens", "cache_creation.ephemeral_1h_input_tokens",
        "output_tokens_details.thinking_tokens", "server_tool_use.web_search_requests",
        "server_tool_use.web_fetch_requests", "service_tier", "inference_geo", "speed",
    ],
    # google-genai 3.6.1 google/genai/types.py GenerateContentResponseUsageMetadata (REST camelCase)
    "gemini": [
        "promptTokenCount", "cachedContentTokenCount", "candidatesTokenCount", "thoughtsTokenCount",
        "toolUsePromptTokenCount", "totalTokenCount", "promptTokensDetails[].modality", "promptTokensDetails[].tokenCount",
        "cacheTokensDetails[].modality", "cacheTokensDetails[].tokenCount", "candidatesTokensDetails[].modality",
        "candidatesTokensDetails[].tokenCount", "toolUsePromptTokensDetails[].modality",
        "toolUsePromptTokensDetails[].tokenCount", "trafficType",
    ],
    # botocore 1.44.18 data/bedrock-runtime/2023-09-30/service-2.json TokenUsage
    "bedrock": [
        "inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens",
        "cacheDetails[].ttl", "cacheDetails[].inputTokens",
    ],
    # cohere 7.3.1 cohere/types/usage.py Usage, usage_tokens.py, usage_billed_units.py
    "cohere": [
        "tokens.input_tokens", "tokens.output_tokens", "cached_tokens", "billed_units.input_tokens",
        "billed_units.output_tokens", "billed_units.search_units", "billed_units.classifications",
    ],
    # mistralai 3.7.0 models/usageinfo.py UsageInfo
    "mistral": ["prompt_tokens", "completion_tokens", "total_tokens", "prompt_audio_seconds", "service_tier"],
    # groq 1.7.0 groq/types/completion_usage.py CompletionUsage
    "groq": [
        "prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details.cached_tokens",
        "completion_tokens_details.reasoning_tokens", "queue_time", "prompt_time", "completion_time", "total_time",
    ],
    # xai-sdk 1.21.0 proto/v6/usage_pb2.pyi SamplingUsage, as the REST body nests it (recorded corpus)
    "xai": [*OPENAI_CHAT, "num_sources_used", "cost_in_usd_ticks", "server_side_tools_used"],
    # https://api-docs.deepseek.com/api/create-chat-completion
    "deepseek": [*OPENAI_CHAT, "prompt_cache_hit_tokens", "prompt_cache_miss_tokens"],
    # https://docs.perplexity.ai/api-reference/chat-completions-post UsageInfo
    "perplexity": [*OPENAI_CHAT, "search_context_size", "citation_tokens", "num_search_queries", "reasoning_tokens", "cost.total_cost"],
}


@pytest.mark.parametrize("provider", sorted(SDK_FIELDS))
def test_every_sdk_usage_field_is_mapped_or_kept_raw_on_purpose(provider: str) -> None:
    spec = REGISTRY.get(provider)
    assert unaccounted(SDK_FIELDS[provider], accounted_paths(spec.usage)) == []


# ------------------------------------------------------------------------ the OpenAI cache-write case
def _chat_json(usage: dict[str, Any]) -> bytes:
    body = {
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-6.2-sol",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
        "usage": usage,
    }
    return json.dumps(body).encode()


def _chat_sse(usage: dict[str, Any]) -> bytes:
    chunks = [
        {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-6.2-sol", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}}]},
        {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-6.2-sol", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-6.2-sol", "choices": [], "usage": usage},
    ]
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


def _replay(provider: str, model: str, body: bytes, *, stream: bool, mode: str | None = None) -> Any:
    spec = REGISTRY.get(provider)
    proc = ResponseProcessor(spec, model=model, stream=stream, stream_mode=mode)
    events = proc.start() + proc.feed(body) + proc.close()
    assert events[-1].type == "finish", events[-1]
    return events[-1].response


OPENAI_CACHE_WRITE_USAGE = {
    "prompt_tokens": 10_000, "completion_tokens": 500, "total_tokens": 10_500,
    "prompt_tokens_details": {"cached_tokens": 4_000, "cache_write_tokens": 3_000, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 100},
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_openai_chat_cache_writes_are_counted_and_priced(stream: bool) -> None:
    body = _chat_sse(OPENAI_CACHE_WRITE_USAGE) if stream else _chat_json(OPENAI_CACHE_WRITE_USAGE)
    response = _replay("openai", "gpt-6.2-sol", body, stream=stream)
    assert response.usage.cache_write_tokens == 3_000
    assert response.usage.cache_read_tokens == 4_000
    cost = response.cost
    assert cost is not None, response.cost_reason
    # gpt-6.2-sol: $2 input, $0.10 cached, $2.50 cache writes, $10 output per million tokens
    assert cost.input == pytest.approx(3_000 * 2.0e-6)
    assert cost.cache_read == pytest.approx(4_000 * 0.10e-6)
    assert cost.cache_write == pytest.approx(3_000 * 2.50e-6)
    assert cost.output == pytest.approx(500 * 10.0e-6)
    assert cost.total == pytest.approx(3_000 * 2.0e-6 + 4_000 * 0.10e-6 + 3_000 * 2.50e-6 + 500 * 10.0e-6)


def test_openai_responses_twelve_hour_cache_writes_are_priced_apart() -> None:
    usage = {
        "input_tokens": 10_000, "output_tokens": 100, "total_tokens": 10_100,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 3_000, "cache_write_tokens_details": {"ttl_30m_tokens": 1_000, "ttl_12h_tokens": 2_000}},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    response = _replay("openai-responses", "gpt-6.2-sol", _responses_json(usage, "gpt-6.2-sol"), stream=False)
    assert (response.usage.cache_write_tokens, response.usage.cache_write_long_tokens) == (3_000, 2_000)
    assert response.cost is not None
    assert response.cost.cache_write == pytest.approx(1_000 * 2.50e-6 + 2_000 * 5.0e-6)
    assert response.cost.input == pytest.approx(7_000 * 2.0e-6)


# --------------------------------------------------------------------- the validate-spec check
def _case(root: Path, name: str, usage: dict[str, Any]) -> None:
    folder = root / "openai" / name
    folder.mkdir(parents=True)
    (folder / "stream.sse").write_bytes(_chat_sse(usage))
    case = {"replay": {"provider": "openai", "body": "stream.sse", "stream": True, "framing": "sse"}, "request_summary": {"model": "gpt-6.2-sol"}}
    (folder / "case.yaml").write_text(yaml.safe_dump(case), encoding="utf-8")


def test_validate_spec_reports_a_usage_field_neither_mapped_nor_listed(tmp_path: Path) -> None:
    usage = {**OPENAI_CACHE_WRITE_USAGE, "prompt_tokens_details": {"cached_tokens": 1, "brand_new_tokens": 7}}
    _case(tmp_path / "samples", "new-field", usage)
    issues = validate_paths([str(PROVIDERS / "openai.yaml")], [str(tmp_path / "samples")], builtin_samples=False)
    found = [i for i in issues if getattr(i, "rule", None) == UNMAPPED_RULE]
    assert len(found) == 1 and "prompt_tokens_details.brand_new_tokens" in found[0].message
    assert found[0].path == "usage"

    # a spec that keeps the field raw on purpose is clean
    spec = tmp_path / "specs" / "openai-extra.yaml"
    spec.parent.mkdir()
    spec.write_text(
        "spec_version: 1\nprovider: openai-extra\nextends: openai\n"
        "usage:\n  raw_fields:\n    prompt_tokens_details.brand_new_tokens: \"kept raw in this test\"\n",
        encoding="utf-8",
    )
    (tmp_path / "samples" / "openai-extra").mkdir()
    (tmp_path / "samples" / "openai" / "new-field").rename(tmp_path / "samples" / "openai-extra" / "new-field")
    case_file = tmp_path / "samples" / "openai-extra" / "new-field" / "case.yaml"
    case_file.write_text(case_file.read_text(encoding="utf-8").replace("provider: openai", "provider: openai-extra"), encoding="utf-8")
    issues = validate_paths([str(spec)], [str(tmp_path / "samples")], builtin_samples=False)
    assert [i for i in issues if getattr(i, "rule", None) == UNMAPPED_RULE] == []


def test_validate_spec_finds_no_unmapped_usage_field_in_the_fixture_corpus() -> None:
    issues = validate_paths([str(p) for p in sorted(PROVIDERS.glob("*.yaml"))], [str(ROOT / "tests" / "fixtures")])
    assert [str(i) for i in issues if getattr(i, "rule", None) == UNMAPPED_RULE] == []


# --------------------------------------------------------------- stream and non-stream agree
def _responses_json(usage: dict[str, Any], model: str) -> bytes:
    body = {
        "id": "resp_1", "object": "response", "model": model, "status": "completed",
        "output": [{"type": "message", "id": "msg_1", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]}],
        "usage": usage,
    }
    return json.dumps(body).encode()


def _responses_sse(usage: dict[str, Any], model: str) -> bytes:
    events = [
        {"type": "response.created", "response": {"id": "resp_1", "model": model, "status": "in_progress"}},
        {"type": "response.output_item.added", "output_index": 0, "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []}},
        {"type": "response.output_text.delta", "output_index": 0, "item_id": "msg_1", "delta": "Hi"},
        {"type": "response.output_item.done", "output_index": 0, "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]}},
        {"type": "response.completed", "response": {"id": "resp_1", "model": model, "status": "completed", "usage": usage}},
    ]
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + json.dumps(e).encode() + b"\n\n" for e in events)


def _anthropic_json(usage: dict[str, Any], model: str) -> bytes:
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn", "usage": usage}
    return json.dumps(body).encode()


def _anthropic_events(usage: dict[str, Any], model: str) -> list[dict[str, Any]]:
    start_usage = {**usage, "output_tokens": 1}
    delta_keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens", "output_tokens_details", "server_tool_use")
    return [  # MessageDeltaUsage (anthropic 2.17.0) carries the cumulative counts at the end
        {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": [], "usage": start_usage}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {k: usage[k] for k in delta_keys if k in usage}},
        {"type": "message_stop"},
    ]


def _anthropic_sse(usage: dict[str, Any], model: str) -> bytes:
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + json.dumps(e).encode() + b"\n\n" for e in _anthropic_events(usage, model))


def _invoke_stream(usage: dict[str, Any], model: str) -> bytes:
    def chunk(event: dict[str, Any]) -> bytes:
        payload = json.dumps({"bytes": base64.b64encode(json.dumps(event).encode()).decode()}).encode()
        return encode_message({":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}, payload)
    return b"".join(chunk(e) for e in _anthropic_events(usage, model))


def _gemini_json(usage: dict[str, Any], model: str) -> bytes:
    body = {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP", "index": 0}], "usageMetadata": usage, "modelVersion": model, "responseId": "r1"}
    return json.dumps(body).encode()


def _gemini_sse(usage: dict[str, Any], model: str) -> bytes:
    first = {"candidates": [{"content": {"role": "model", "parts": [{"text": "H"}]}, "index": 0}], "usageMetadata": {"promptTokenCount": usage["promptTokenCount"]}, "modelVersion": model, "responseId": "r1"}
    last = {"candidates": [{"content": {"role": "model", "parts": [{"text": "i"}]}, "finishReason": "STOP", "index": 0}], "usageMetadata": usage, "modelVersion": model, "responseId": "r1"}
    return b"".join(b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in (first, last))


def _converse_json(usage: dict[str, Any], model: str) -> bytes:
    body = {"output": {"message": {"role": "assistant", "content": [{"text": "Hi"}]}}, "stopReason": "end_turn", "usage": usage, "metrics": {"latencyMs": 100}}
    return json.dumps(body).encode()


def _converse_stream(usage: dict[str, Any], model: str) -> bytes:
    def event(kind: str, payload: dict[str, Any]) -> bytes:
        return encode_message({":event-type": kind, ":content-type": "application/json", ":message-type": "event"}, json.dumps({**payload, "p": "ab"}).encode())
    return b"".join([
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": "end_turn"}),
        event("metadata", {"usage": usage, "metrics": {"latencyMs": 100}}),
    ])


def _cohere_json(usage: dict[str, Any], model: str) -> bytes:
    body = {"id": "c1", "finish_reason": "COMPLETE", "message": {"role": "assistant", "content": [{"type": "text", "text": "Hi"}]}, "usage": usage}
    return json.dumps(body).encode()


def _cohere_sse(usage: dict[str, Any], model: str) -> bytes:
    events = [
        {"type": "message-start", "id": "c1", "delta": {"message": {"role": "assistant"}}},
        {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hi"}}}},
        {"type": "content-end", "index": 0},
        {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}},
    ]
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + json.dumps(e).encode() + b"\n\n" for e in events)


FULL_CHAT = {
    "prompt_tokens": 9_000, "completion_tokens": 700, "total_tokens": 9_700,
    "prompt_tokens_details": {"cached_tokens": 4_000, "cache_write_tokens": 2_000, "audio_tokens": 30, "image_tokens": 40, "text_tokens": 8_930},
    "completion_tokens_details": {"reasoning_tokens": 200, "audio_tokens": 10, "text_tokens": 490, "accepted_prediction_tokens": 5, "rejected_prediction_tokens": 6},
}
FAMILIES: dict[str, tuple[Any, Any, str, dict[str, Any]]] = {  # family: (json body, stream body, framing, usage)
    "openai": (lambda u, m: _chat_json(u), lambda u, m: _chat_sse(u), "sse", FULL_CHAT),
    "openai-responses": (_responses_json, _responses_sse, "sse", {
        "input_tokens": 9_000, "output_tokens": 700, "total_tokens": 9_700,
        "input_tokens_details": {"cached_tokens": 4_000, "cache_write_tokens": 2_000, "cache_write_tokens_details": {"ttl_30m_tokens": 2_000, "ttl_12h_tokens": 0}},
        "output_tokens_details": {"reasoning_tokens": 200},
    }),
    "anthropic": (_anthropic_json, _anthropic_sse, "sse", {
        "input_tokens": 3_000, "output_tokens": 700, "cache_read_input_tokens": 4_000, "cache_creation_input_tokens": 2_000,
        "cache_creation": {"ephemeral_5m_input_tokens": 1_500, "ephemeral_1h_input_tokens": 500},
        "output_tokens_details": {"thinking_tokens": 200}, "server_tool_use": {"web_search_requests": 2, "web_fetch_requests": 1},
        "service_tier": "standard", "inference_geo": "global",
    }),
    "gemini": (_gemini_json, _gemini_sse, "sse", {
        "promptTokenCount": 9_000, "cachedContentTokenCount": 4_000, "candidatesTokenCount": 500, "thoughtsTokenCount": 200,
        "toolUsePromptTokenCount": 100, "totalTokenCount": 9_800,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8_900}, {"modality": "AUDIO", "tokenCount": 60}, {"modality": "IMAGE", "tokenCount": 40}],
        "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 4_000}],
        "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 500}],
        "toolUsePromptTokensDetails": [{"modality": "TEXT", "tokenCount": 100}],
    }),
    "bedrock": (_converse_json, _converse_stream, "aws-eventstream", {
        "inputTokens": 3_000, "outputTokens": 700, "totalTokens": 9_700, "cacheReadInputTokens": 4_000, "cacheWriteInputTokens": 2_000,
        "cacheDetails": [{"ttl": "5m", "inputTokens": 1_500}, {"ttl": "1h", "inputTokens": 500}],
    }),
    "cohere": (_cohere_json, _cohere_sse, "sse", {
        "billed_units": {"input_tokens": 8_000, "output_tokens": 700, "search_units": 0, "classifications": 0},
        "tokens": {"input_tokens": 9_000, "output_tokens": 700}, "cached_tokens": 4_000,
    }),
}
FAMILIES["bedrock-anthropic"] = (_anthropic_json, _invoke_stream, "aws-eventstream-payload", FAMILIES["anthropic"][3])
CHAT_BASIC = {  # OpenAI-compatible vendors: no cache writes, audio or images (their catalogs do not price them)
    "prompt_tokens": 9_000, "completion_tokens": 700, "total_tokens": 9_700,
    "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 200},
}
VENDOR_USAGE = {  # what OpenAI-compatible vendors add to the chat usage object
    "deepseek": {"prompt_cache_hit_tokens": 4_000, "prompt_cache_miss_tokens": 5_000, "prompt_tokens_details": {"cached_tokens": 4_000}},
    "xai": {"num_sources_used": 3, "cost_in_usd_ticks": 123_456},
    "perplexity": {"citation_tokens": 50, "num_search_queries": 2, "reasoning_tokens": 200, "search_context_size": "medium"},
    "groq": {"queue_time": 0.01, "prompt_time": 0.02, "completion_time": 0.3, "total_time": 0.32},
    "mistral": {"prompt_audio_seconds": 3, "service_tier": "standard"},
}


def _family(provider: str) -> str:
    name = provider
    while name not in FAMILIES:
        data = yaml.safe_load((PROVIDERS / f"{name}.yaml").read_text(encoding="utf-8"))
        name = data.get("extends")
        assert name, f"{provider}: no API family in FAMILIES"
    return name


def _stream_mode(provider: str, framing: str) -> str | None:
    """The spec's stream mode that reads ``framing`` (``None``: the default one)."""
    spec = REGISTRY.get(provider)
    if spec.stream.framing == framing:
        return None
    return next(name for name, cfg in spec.stream_modes.items() if cfg.framing == framing)


SPECS = sorted(p.stem for p in PROVIDERS.glob("*.yaml") if p.stem not in ("bedrock-llama", "bedrock-titan")
               and yaml.safe_load(p.read_text(encoding="utf-8")).get("chat") is not False)  # embeddings-only specs have no chat usage


@pytest.mark.parametrize("provider", SPECS)
def test_stream_and_non_stream_agree_on_usage_and_cost(provider: str) -> None:
    family = _family(provider)
    to_json, to_stream, framing, usage = FAMILIES[family]
    if family == "openai" and provider != "openai":
        usage = CHAT_BASIC
    usage = {**usage, **VENDOR_USAGE.get(provider, {})}
    spec = REGISTRY.get(provider)
    # a model whose prices cover every count, when the catalog has one (else the reasons must agree)
    models = [m.id for m in spec.models] or ["m"]
    model = next((m for m in models if _replay(provider, m, to_json(usage, m), stream=False).cost is not None), models[0])
    whole = _replay(provider, model, to_json(usage, model), stream=False)
    streamed = _replay(provider, model, to_stream(usage, model), stream=True, mode=_stream_mode(provider, framing))
    assert whole.usage is not None and whole.usage.input_tokens is not None
    assert streamed.usage is not None
    assert streamed.usage.model_dump(exclude={"raw"}) == whole.usage.model_dump(exclude={"raw"})
    assert (streamed.cost, streamed.cost_reason) == (whole.cost, whole.cost_reason)


# ------------------------------------------------------------------------------ single facts
def test_usage_paths_name_nested_members_and_list_items() -> None:
    obj = {"a": 1, "b": {"c": 2, "d": {}}, "e": [{"m": "AUDIO", "n": 3}], "f": ["x"], "g": None}
    assert sorted(usage_paths(obj)) == ["a", "b.c", "b.d", "e[].m", "e[].n", "f", "g"]


def test_docs_table_names_every_usage_attribute() -> None:
    text = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    assert [name for name in USAGE_NUMBERS if f"`{name}`" not in text] == []


def test_the_stream_event_schema_lists_every_usage_and_cost_field() -> None:
    from specwire.types import Cost, Usage

    defs = json.loads((ROOT / "schemas" / "stream-event.schema.json").read_text(encoding="utf-8"))["$defs"]
    assert set(defs["usage"]["properties"]) == set(Usage.model_fields)
    assert set(defs["cost"]["properties"]) == set(Cost.model_fields)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_xai_cost_report_reaches_provider_metadata(stream: bool) -> None:
    usage = {**CHAT_BASIC, **VENDOR_USAGE["xai"]}
    response = _replay("xai", "grok-4.5", _chat_sse(usage) if stream else _chat_json(usage), stream=stream)
    assert response.provider_metadata["xai"]["cost_in_usd_ticks"] == 123_456
    assert response.usage.raw["num_sources_used"] == 3
