"""The generic options logprobs / top_logprobs / n / service_tier / prediction / code_execution:
their wire mappings per spec (``Client.build``, offline) and the token log probabilities and extra
choices that come back, from stream and non-stream bodies built on the providers' documented shapes:

* OpenAI Chat Completions: https://platform.openai.com/docs/api-reference/chat/object (the
  ``logprobs.content`` example) and https://platform.openai.com/docs/api-reference/chat-streaming/streaming ;
* OpenAI Responses: https://platform.openai.com/docs/api-reference/responses/object (``output_text``
  with ``logprobs``) and https://platform.openai.com/docs/api-reference/responses-streaming/response/output_text/delta ;
* Gemini: https://ai.google.dev/api/generate-content#LogprobsResult and
  https://ai.google.dev/gemini-api/docs/code-execution (``executableCode`` / ``codeExecutionResult``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import specwire
from specwire import Message, RequestBuildError, TextPart, Tool
from specwire.process import ResponseProcessor

HI = [{"role": "user", "content": "hi"}]


def _sse(data: dict[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + json.dumps(data).encode() + b"\n\n"


def _run(registry: Any, provider: str, body: bytes, *, stream: bool, model: str = "m") -> specwire.Response:
    proc = ResponseProcessor(registry.get(provider), model=model, stream=stream, framing="sse" if stream else None)
    events = proc.start() + proc.feed(body) + proc.close()
    assert events[-1].type == "finish", events[-1]
    return events[-1].response  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- request mappings
def test_openai_chat_maps_every_new_option(client: specwire.Client) -> None:
    plan = client.build("openai:gpt-5.5", HI, logprobs=True, top_logprobs=3, n=2, service_tier="flex", prediction="draft text")
    body = plan.body
    assert (body["logprobs"], body["top_logprobs"], body["n"], body["service_tier"]) == (True, 3, 2, "flex")
    assert body["prediction"] == {"type": "content", "content": "draft text"}
    assert plan.warnings == []


def test_top_logprobs_alone_turns_logprobs_on_and_is_clamped(client: specwire.Client) -> None:
    plan = client.build("openai:gpt-5.5", HI, top_logprobs=50)
    assert plan.body["logprobs"] is True and plan.body["top_logprobs"] == 20
    assert isinstance(plan.body["top_logprobs"], int)
    assert [(w.kind, w.param) for w in plan.warnings] == [("clamped-param", "top_logprobs")]
    # an explicit logprobs=False is the caller's word: not overwritten
    assert client.build("openai:gpt-5.5", HI, logprobs=False, top_logprobs=2).body["logprobs"] is False


def test_openai_prediction_takes_the_openai_form_too(client: specwire.Client) -> None:
    body = client.build("openai:gpt-5.5", HI, prediction={"type": "content", "content": "x = 1"}).body
    assert body["prediction"] == {"type": "content", "content": "x = 1"}


@pytest.mark.parametrize("ref", ["openai:gpt-5.5", "gemini:gemini-3.8-flash"])
def test_n_above_one_is_refused_when_streaming(client: specwire.Client, ref: str) -> None:
    with pytest.raises(RequestBuildError, match="n > 1 is not available when streaming"):
        client.build(ref, HI, n=2, stream=True)
    assert client.build(ref, HI, n=1, stream=True).warnings == []  # one choice streams fine


def test_unknown_keyword_is_still_refused_with_a_suggestion(client: specwire.Client) -> None:
    with pytest.raises(RequestBuildError, match=r"did you mean 'logprobs'\?"):
        client.build("openai:gpt-5.5", HI, logprob=True)  # type: ignore[call-arg]


def test_provider_options_remain_the_pass_through(client: specwire.Client) -> None:
    body = client.build("together:openai/gpt-oss-120b", HI, provider_options={"together": {"logprobs": 2}}).body
    assert body["logprobs"] == 2


@pytest.mark.parametrize(
    ("ref", "option", "value"),
    [
        ("anthropic:claude-sonnet-5-5", "logprobs", True),
        ("anthropic:claude-sonnet-5-5", "n", 2),
        ("groq:openai/gpt-oss-120b", "logprobs", True),
        ("groq:openai/gpt-oss-120b", "n", 3),
        ("deepseek:deepseek-flash", "n", 2),
        ("together:openai/gpt-oss-120b", "logprobs", True),
        ("gemini:gemini-3.8-flash", "service_tier", "flex"),
        ("openai-responses:gpt-5.5", "prediction", "abc"),
        ("bedrock:global.anthropic.claude-sonnet-5", "logprobs", True),
        ("cohere:command-a-03-2025", "code_execution", True),
    ],
)
def test_unsupported_options_are_dropped_with_a_reason(client: specwire.Client, ref: str, option: str, value: Any) -> None:
    baseline = client.build(ref, HI).body
    plan = client.build(ref, HI, **{option: value})
    assert plan.body == baseline
    [warning] = plan.warnings
    assert (warning.kind, warning.param) == ("unsupported-param", option) and warning.detail


def test_groq_service_tier_and_xai_top_logprobs_range(client: specwire.Client) -> None:
    assert client.build("groq:openai/gpt-oss-120b", HI, service_tier="flex").body["service_tier"] == "flex"
    plan = client.build("xai:grok-4.3", HI, top_logprobs=12)
    assert plan.body["top_logprobs"] == 8 and plan.body["logprobs"] is True  # xAI takes 0-8


def test_anthropic_service_tier(client: specwire.Client) -> None:
    assert client.build("anthropic:claude-sonnet-5-5", HI, service_tier="standard_only").body["service_tier"] == "standard_only"


def test_responses_logprobs_share_include_with_reasoning(client: specwire.Client) -> None:
    body = client.build("openai-responses:gpt-5.5", HI, reasoning="high", logprobs=True, top_logprobs=4, service_tier="priority").body
    assert body["include"] == ["reasoning.encrypted_content", "message.output_text.logprobs"]
    assert body["top_logprobs"] == 4 and body["service_tier"] == "priority"
    assert "include" not in client.build("openai-responses:gpt-5.5", HI, logprobs=False).body


@pytest.mark.parametrize("provider", ["gemini", "vertex"])
def test_gemini_logprobs_candidates_and_code_execution(client: specwire.Client, provider: str) -> None:
    model = "gemini-3.8-flash" if provider == "gemini" else "gemini-4-hydrogen"
    settings = {"settings": {"project": "p"}} if provider == "vertex" else {}
    plan = client.build(f"{provider}:{model}", HI, logprobs=True, top_logprobs=5, n=2, code_execution=True, tools=[{"name": "lookup"}], **settings)
    body = plan.body
    assert body["generationConfig"] == {"responseLogprobs": True, "logprobs": 5, "candidateCount": 2}
    assert body["tools"][-1] == {"codeExecution": {}}  # beside the function declarations
    assert body["tools"][0]["functionDeclarations"][0]["name"] == "lookup"
    assert client.build(f"{provider}:{model}", HI, code_execution=True, **settings).body["tools"] == [{"codeExecution": {}}]
    assert "tools" not in client.build(f"{provider}:{model}", HI, code_execution=False, **settings).body


def test_responses_code_execution_adds_the_code_interpreter(client: specwire.Client) -> None:
    body = client.build("openai-responses:gpt-5.5", HI, code_execution=True).body
    assert body["tools"] == [{"type": "code_interpreter", "container": {"type": "auto"}}]


# --------------------------------------------------------------------------- logprobs back: OpenAI chat
HELLO = {"token": "Hello", "logprob": -0.31725305, "bytes": [72, 101, 108, 108, 111],
         "top_logprobs": [{"token": "Hello", "logprob": -0.31725305, "bytes": [72, 101, 108, 108, 111]}, {"token": "Hi", "logprob": -1.3190403, "bytes": [72, 105]}]}
BANG = {"token": "!", "logprob": -0.02380986, "bytes": [33], "top_logprobs": [{"token": "!", "logprob": -0.02380986, "bytes": [33]}, {"token": " there", "logprob": -3.787621, "bytes": [32, 116, 104, 101, 114, 101]}]}


def _chat_body() -> dict[str, Any]:
    return {
        "id": "chatcmpl-123", "object": "chat.completion", "created": 1702685778, "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "logprobs": {"content": [HELLO, BANG], "refusal": None}, "finish_reason": "stop"},
            {"index": 1, "message": {"role": "assistant", "content": "Hi"}, "logprobs": {"content": [{**HELLO, "token": "Hi", "logprob": -1.3190403, "bytes": [72, 105], "top_logprobs": []}], "refusal": None}, "finish_reason": "length"},
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
    }


def _chat_stream() -> bytes:
    def chunk(delta: dict[str, Any], logprobs: Any, finish: str | None) -> dict[str, Any]:
        return {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": "gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb",
                "choices": [{"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}]}
    chunks = [chunk({"role": "assistant", "content": ""}, None, None), chunk({"content": "Hello"}, {"content": [HELLO], "refusal": None}, None),
              chunk({"content": "!"}, {"content": [BANG], "refusal": None}, None), chunk({}, None, "stop")]
    return b"".join(_sse(c) for c in chunks) + b"data: [DONE]\n\n"


def _expected_openai() -> list[specwire.TokenLogprob]:
    return [
        specwire.TokenLogprob(token="Hello", logprob=-0.31725305, bytes=[72, 101, 108, 108, 111],
                              top_logprobs=[specwire.TokenLogprob(token="Hello", logprob=-0.31725305, bytes=[72, 101, 108, 108, 111]), specwire.TokenLogprob(token="Hi", logprob=-1.3190403, bytes=[72, 105])]),
        specwire.TokenLogprob(token="!", logprob=-0.02380986, bytes=[33],
                              top_logprobs=[specwire.TokenLogprob(token="!", logprob=-0.02380986, bytes=[33]), specwire.TokenLogprob(token=" there", logprob=-3.787621, bytes=[32, 116, 104, 101, 114, 101])]),
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_openai_chat_logprobs_come_back(registry: Any, stream: bool) -> None:
    body = _chat_stream() if stream else json.dumps(_chat_body()).encode()
    response = _run(registry, "openai", body, stream=stream)
    assert response.text == "Hello!"
    assert response.logprobs == _expected_openai()


def test_openai_chat_extra_choices(registry: Any) -> None:
    response = _run(registry, "openai", json.dumps(_chat_body()).encode(), stream=False)
    [extra] = response.choices
    assert (extra.index, extra.text, extra.finish_reason) == (1, "Hi", "length")
    assert extra.logprobs == [specwire.TokenLogprob(token="Hi", logprob=-1.3190403, bytes=[72, 105])]
    assert response.finish_reason == "stop" and response.usage is not None and response.usage.output_tokens == 3


def test_without_logprobs_the_fields_stay_empty(registry: Any) -> None:
    body = _chat_body()
    body["choices"] = [{**body["choices"][0], "logprobs": None}]
    response = _run(registry, "openai", json.dumps(body).encode(), stream=False)
    assert response.logprobs is None and response.choices == []


def test_hostile_logprob_entries_are_left_out(registry: Any) -> None:
    body = _chat_body()
    body["choices"][0]["logprobs"]["content"] = [{"token": 5, "logprob": -1}, {"token": "a", "logprob": "x"}, {"token": "b", "logprob": True},
                                                 {"token": "c", "logprob": -0.5, "bytes": [300], "top_logprobs": "no"}, "junk"]
    response = _run(registry, "openai", json.dumps(body).encode(), stream=False)
    assert response.logprobs == [specwire.TokenLogprob(token="c", logprob=-0.5)]


# --------------------------------------------------------------------------- logprobs back: Responses
RESPONSES_LOGPROBS = [
    {"token": "Hi", "logprob": -0.0012, "bytes": [72, 105], "top_logprobs": [{"token": "Hi", "logprob": -0.0012, "bytes": [72, 105]}, {"token": "Hello", "logprob": -6.75, "bytes": [72, 101, 108, 108, 111]}]},
    {"token": ".", "logprob": -0.2, "bytes": [46], "top_logprobs": [{"token": ".", "logprob": -0.2, "bytes": [46]}]},
]


def _responses_body() -> dict[str, Any]:
    message = {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
               "content": [{"type": "output_text", "text": "Hi.", "annotations": [], "logprobs": RESPONSES_LOGPROBS}]}
    return {"id": "resp_1", "object": "response", "model": "gpt-5.5", "status": "completed", "output": [message],
            "usage": {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}}


def _responses_stream() -> bytes:
    body = _responses_body()
    item = body["output"][0]
    out = [_sse({"type": "response.created", "response": {**body, "status": "in_progress", "output": [], "usage": None}}, "response.created"),
           _sse({"type": "response.output_item.added", "output_index": 0, "item": {**item, "status": "in_progress", "content": []}}, "response.output_item.added")]
    for piece, lp in (("Hi", RESPONSES_LOGPROBS[0]), (".", RESPONSES_LOGPROBS[1])):
        delta = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": piece, "logprobs": [lp]}
        out.append(_sse(delta, "response.output_text.delta"))
    out.append(_sse({"type": "response.output_item.done", "output_index": 0, "item": item}, "response.output_item.done"))
    out.append(_sse({"type": "response.completed", "response": body}, "response.completed"))
    return b"".join(out)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_responses_logprobs_come_back(registry: Any, stream: bool) -> None:
    body = _responses_stream() if stream else json.dumps(_responses_body()).encode()
    response = _run(registry, "openai-responses", body, stream=stream)
    assert response.text == "Hi."
    assert response.logprobs is not None
    assert [(t.token, t.logprob, t.bytes) for t in response.logprobs] == [("Hi", -0.0012, [72, 105]), (".", -0.2, [46])]
    assert [t.token for t in response.logprobs[0].top_logprobs] == ["Hi", "Hello"]


# --------------------------------------------------------------------------- Gemini: logprobs, candidates, code execution
LOGPROBS_RESULT = {
    "topCandidates": [
        {"candidates": [{"token": "Paris", "tokenId": 3681, "logProbability": -0.0101}, {"token": "Lyon", "tokenId": 9012, "logProbability": -4.61}]},
        {"candidates": [{"token": ".", "tokenId": 235265, "logProbability": -0.0003}]},
    ],
    "chosenCandidates": [{"token": "Paris", "tokenId": 3681, "logProbability": -0.0101}, {"token": ".", "tokenId": 235265, "logProbability": -0.0003}],
}


def _gemini_chunk(candidates: list[dict[str, Any]], last: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"candidates": candidates, "modelVersion": "gemini-3.8-flash", "responseId": "r1"}
    if last:
        out["usageMetadata"] = {"promptTokenCount": 8, "candidatesTokenCount": 2, "totalTokenCount": 10}
    return out


def _gemini_body() -> dict[str, Any]:
    return _gemini_chunk([
        {"content": {"parts": [{"text": "Paris."}], "role": "model"}, "finishReason": "STOP", "index": 0, "avgLogprobs": -0.005, "logprobsResult": LOGPROBS_RESULT},
        {"content": {"parts": [{"text": "Lyon?"}], "role": "model"}, "finishReason": "STOP", "index": 1,
         "logprobsResult": {"topCandidates": [], "chosenCandidates": [{"token": "Lyon", "tokenId": 9012, "logProbability": -4.61}]}},
    ], True)


def _expected_gemini() -> list[specwire.TokenLogprob]:
    T = specwire.TokenLogprob
    return [T(token="Paris", logprob=-0.0101, top_logprobs=[T(token="Paris", logprob=-0.0101), T(token="Lyon", logprob=-4.61)]),
            T(token=".", logprob=-0.0003, top_logprobs=[T(token=".", logprob=-0.0003)])]


@pytest.mark.parametrize("provider", ["gemini", "vertex"])
def test_gemini_logprobs_and_extra_candidates(registry: Any, provider: str) -> None:
    response = _run(registry, provider, json.dumps(_gemini_body()).encode(), stream=False)
    assert response.text == "Paris."
    assert response.logprobs == _expected_gemini()
    [extra] = response.choices
    assert (extra.index, extra.text, extra.finish_reason) == (1, "Lyon?", "stop")
    assert extra.logprobs == [specwire.TokenLogprob(token="Lyon", logprob=-4.61)]


def test_gemini_streamed_logprobs_accumulate(registry: Any) -> None:
    def piece(text: str, i: int, last: bool) -> dict[str, Any]:
        result = {"topCandidates": [LOGPROBS_RESULT["topCandidates"][i]], "chosenCandidates": [LOGPROBS_RESULT["chosenCandidates"][i]]}
        cand: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0, "logprobsResult": result}
        if last:
            cand["finishReason"] = "STOP"
        return _gemini_chunk([cand], last)
    body = _sse(piece("Paris", 0, False)) + _sse(piece(".", 1, True))
    response = _run(registry, "gemini", body, stream=True)
    assert response.text == "Paris." and response.logprobs == _expected_gemini()


# https://ai.google.dev/gemini-api/docs/code-execution : the REST reply's parts
CODE_PARTS = [
    {"text": "I will compute the sum of the first 50 primes."},
    {"executableCode": {"language": "PYTHON", "code": "primes = []\nn = 2\nwhile len(primes) < 50:\n    if all(n % p for p in primes):\n        primes.append(n)\n    n += 1\nprint(sum(primes))\n"}},
    {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "5117\n"}},
    {"text": "The sum of the first 50 prime numbers is 5117."},
]


@pytest.mark.parametrize("provider", ["gemini", "vertex"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_gemini_code_execution_parts_come_back_and_are_echoed(registry: Any, client: specwire.Client, provider: str, stream: bool) -> None:
    if stream:
        chunks = [_gemini_chunk([{"content": {"parts": [p], "role": "model"}, "index": 0, **({"finishReason": "STOP"} if i == len(CODE_PARTS) - 1 else {})}], i == len(CODE_PARTS) - 1)
                  for i, p in enumerate(CODE_PARTS)]
        body = b"".join(_sse(c) for c in chunks)
    else:
        body = json.dumps(_gemini_chunk([{"content": {"parts": CODE_PARTS, "role": "model"}, "finishReason": "STOP", "index": 0}], True)).encode()
    response = _run(registry, provider, body, stream=stream)
    kinds = [(p.type, getattr(p, "provider_type", None)) for p in response.parts]
    assert kinds == [("text", None), ("provider", "executableCode"), ("provider", "codeExecutionResult"), ("text", None)]
    assert response.parts[1].data == CODE_PARTS[1] and response.parts[2].data == CODE_PARTS[2]
    assert response.text.endswith("5117.") and response.warnings == []
    # the turn goes back with both parts as they came
    settings = {"settings": {"project": "p"}} if provider == "vertex" else {}
    model = "gemini-3.8-flash" if provider == "gemini" else "gemini-4-hydrogen"
    history = [Message(role="user", content="Sum the first 50 primes"), response.message(), Message(role="user", content="Thanks")]
    sent = client.build(f"{provider}:{model}", history, code_execution=True, **settings).body["contents"][1]["parts"]
    assert CODE_PARTS[1] in sent and CODE_PARTS[2] in sent
    # another provider leaves them out
    other = client.build("openai:gpt-5.5", history).body["messages"][1]
    assert "executableCode" not in json.dumps(other)


# --------------------------------------------------------------------------- Anthropic cache_control per block
EPHEMERAL = {"type": "ephemeral"}


def _cached(key: str) -> dict[str, Any]:
    return {key: {"cache_control": EPHEMERAL}}


@pytest.mark.parametrize(("provider", "model", "settings"), [
    ("anthropic", "claude-sonnet-5-5", {}),
    ("bedrock-anthropic", "global.anthropic.claude-opus-4-8", {}),
    ("vertex-anthropic", "claude-sonnet-5-5", {"project": "p"}),
])
def test_anthropic_cache_control_on_single_blocks(client: specwire.Client, provider: str, model: str, settings: dict[str, Any]) -> None:
    """https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching : cache_control on a tool,
    a system text block and message blocks (text, image, document, tool_use, tool_result)."""
    meta = _cached(provider)
    messages = [
        Message(role="system", content=[TextPart(text="Long instructions", provider_metadata=meta), TextPart(text="Short tail")]),
        Message(role="user", content=[
            {"type": "text", "text": "Read this", "provider_metadata": meta},
            {"type": "image", "data": "aGk=", "media_type": "image/png", "provider_metadata": meta},
            {"type": "document", "data": "aGk=", "media_type": "application/pdf", "provider_metadata": meta},
            {"type": "text", "text": "uncached"},
        ]),
        Message(role="assistant", content=[{"type": "tool_call", "tool_call_id": "toolu_1", "tool_name": "lookup", "arguments": {"q": 1}, "provider_metadata": meta}]),
        Message(role="tool", content=[{"type": "tool_result", "tool_call_id": "toolu_1", "content": "42", "provider_metadata": meta}]),
    ]
    tools = [Tool(name="lookup", parameters={"type": "object", "properties": {"q": {"type": "integer"}}}, provider_metadata=meta), Tool(name="other")]
    body = client.build(f"{provider}:{model}", messages, tools=tools, settings=settings).body
    assert [b.get("cache_control") for b in body["system"]] == [EPHEMERAL, None]
    user, assistant, tool_turn = body["messages"]
    assert [b.get("cache_control") for b in user["content"]] == [EPHEMERAL, EPHEMERAL, EPHEMERAL, None]
    assert assistant["content"][0]["cache_control"] == EPHEMERAL
    assert tool_turn["content"][0]["type"] == "tool_result" and tool_turn["content"][0]["cache_control"] == EPHEMERAL
    assert [t.get("cache_control") for t in body["tools"]] == [EPHEMERAL, None]


def test_cache_control_of_another_namespace_is_not_sent(client: specwire.Client) -> None:
    messages = [Message(role="user", content=[TextPart(text="x", provider_metadata=_cached("anthropic"))])]
    body = client.build("bedrock-anthropic:global.anthropic.claude-opus-4-8", messages, tools=[Tool(name="t", provider_metadata=_cached("anthropic"))]).body
    assert "cache_control" not in json.dumps(body)
    openai_body = client.build("openai:gpt-5.5", messages, tools=[Tool(name="t", provider_metadata=_cached("anthropic"))]).body
    assert "cache_control" not in json.dumps(openai_body)


def test_a_one_hour_ttl_goes_through(client: specwire.Client) -> None:
    ttl = {"type": "ephemeral", "ttl": "1h"}
    messages = [Message(role="user", content=[TextPart(text="x", provider_metadata={"anthropic": {"cache_control": ttl}})])]
    assert client.build("anthropic:claude-sonnet-5-5", messages).body["messages"][0]["content"][0]["cache_control"] == ttl


# --------------------------------------------------------------------------- one call end to end
def test_complete_sends_the_options_and_returns_logprobs_and_choices(registry: Any) -> None:
    """The whole path through ``Client.complete`` (httpx, served by respx): the options reach the
    wire and the body's logprobs and second choice reach the response."""
    import httpx
    import respx

    client = specwire.Client(api_keys={"openai": "sk-test"}, registry=registry, load_entry_points=False)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post("https://api.openai.com/v1/chat/completions").mock(return_value=httpx.Response(200, json=_chat_body()))
        response = client.complete("openai:gpt-5.5", HI, logprobs=True, top_logprobs=2, n=2, service_tier="default")
    sent = json.loads(route.calls[0].request.content)
    assert (sent["logprobs"], sent["top_logprobs"], sent["n"], sent["service_tier"]) == (True, 2, 2, "default")
    assert response.logprobs == _expected_openai()
    assert [c.text for c in response.choices] == ["Hi"]


def test_bedrock_converse_cache_point_after_a_block(client: specwire.Client) -> None:
    """https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html : a
    {cachePoint: {type: default}} block after the system text, a message block and a tool."""
    meta = {"bedrock": {"cache_point": {"type": "default"}}}
    point = {"cachePoint": {"type": "default"}}
    messages = [
        Message(role="system", content=[TextPart(text="Long instructions", provider_metadata=meta)]),
        Message(role="user", content=[TextPart(text="Long document", provider_metadata=meta), TextPart(text="Question")]),
    ]
    body = client.build("bedrock:global.anthropic.claude-sonnet-5", messages, tools=[Tool(name="lookup", provider_metadata=meta), Tool(name="other")]).body
    assert body["system"] == [{"text": "Long instructions"}, point]
    assert body["messages"][0]["content"] == [{"text": "Long document"}, point, {"text": "Question"}]
    assert [t.get("toolSpec", {}).get("name") or "cachePoint" for t in body["toolConfig"]["tools"]] == ["lookup", "cachePoint", "other"]
    plain = client.build("bedrock:global.anthropic.claude-sonnet-5", [Message(role="user", content="hi")], tools=[Tool(name="lookup")]).body
    assert "cachePoint" not in json.dumps(plain)
