"""Gemini / Vertex ``thoughtSignature``s stay on the part they came on.

A signature belongs to one part: "return the entire response with all parts and their signatures
back to the model … don't merge a part that has a signature with another part"
(https://ai.google.dev/gemini-api/docs/thought-signatures ; Part.thoughtSignature in
https://ai.google.dev/api/generate-content#Part).  The google-genai SDK keeps each
``Part.thought_signature`` on its part (google-genai 3.4.0 types.py ``Part``).  A response with several
text parts, two of them signed (one in the middle, one on a trailing empty part, as recorded in
tests/fixtures/gemini/sse-code-execution-parts), must keep both signatures, each on its part, so that
``response.message()`` renders back the very parts that came, in stream and non-stream mode alike.
Unsigned consecutive text fragments (stream chunks) still join into one part.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import specwire
from specwire import Message
from specwire.process import ResponseProcessor

#: The model turn as the provider sent it (candidates[0].content.parts).
PARTS: list[dict[str, Any]] = [
    {"text": "Let me think. "},
    {"text": "The answer is 42.", "thoughtSignature": "U2lnTWlkZGxl"},
    {"text": " Anything else?"},
    {"text": "", "thoughtSignature": "U2lnVHJhaWxpbmc="},
]
USAGE = {"promptTokenCount": 5, "candidatesTokenCount": 9, "totalTokenCount": 14}


def _chunk(parts: list[dict[str, Any]], finish: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = "STOP"
    return {"candidates": [candidate], "usageMetadata": USAGE, "modelVersion": "gemini-3.8-flash", "responseId": "r1"}


def _run(registry: Any, provider: str, *, stream: bool) -> specwire.Response:
    spec = registry.get(provider)
    if stream:  # one part per chunk (SSE, alt=sse), the unsigned first part split in two
        chunks = [_chunk([{"text": "Let me "}], False), _chunk([{"text": "think. "}], False)]
        chunks += [_chunk([p], i == len(PARTS) - 2) for i, p in enumerate(PARTS[1:])]
        body = b"".join(b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in chunks)
        proc = ResponseProcessor(spec, model="gemini-3.8-flash", stream=True, framing="sse")
    else:
        body = json.dumps(_chunk(PARTS, True)).encode()
        proc = ResponseProcessor(spec, model="gemini-3.8-flash", stream=False)
    events = proc.start() + proc.feed(body) + proc.close()
    assert events[-1].type == "finish", events[-1]
    return events[-1].response  # type: ignore[no-any-return]


@pytest.mark.parametrize("provider", ["gemini", "vertex"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_each_signature_stays_on_its_part(registry: Any, provider: str, stream: bool) -> None:
    response = _run(registry, provider, stream=stream)
    assert response.text == "Let me think. The answer is 42. Anything else?"
    got = [(p.text, p.provider_metadata.get(provider, {}).get("thoughtSignature")) for p in response.parts]
    assert got == [(p["text"], p.get("thoughtSignature")) for p in PARTS]


@pytest.mark.parametrize("provider", ["gemini", "vertex"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_the_turn_is_echoed_back_exactly(registry: Any, provider: str, stream: bool) -> None:
    """Render the next request with ``response.message()``: the model turn is the parts as sent."""
    response = _run(registry, provider, stream=stream)
    env = {"GEMINI_API_KEY": "k", "GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_CLOUD_LOCATION": "us-central1"}
    with specwire.Client(load_entry_points=False, registry=registry, env=env) as client:
        plan = client.build(f"{provider}:gemini-3.8-flash", [Message(role="user", content="q"), response.message(), Message(role="user", content="more")])
    assert plan.body["contents"][1] == {"role": "model", "parts": PARTS}


def test_recorded_trailing_empty_signed_part_is_its_own_part(registry: Any) -> None:
    """tests/fixtures/gemini/sse-code-execution-parts ends with ``{"text": "", "thoughtSignature": …}``
    after unsigned text chunks: that signature is not moved onto the text before it."""
    from tests.providers.render_common import replay_fixture

    response = replay_fixture(registry, "gemini", "sse-code-execution-parts", "stream.sse", stream=True, framing="sse")
    *texts, last = [p for p in response.parts if p.type == "text"]
    assert last.text == "" and last.provider_metadata["gemini"]["thoughtSignature"].startswith("EoECCv4BAQw51seg")
    assert all("thoughtSignature" not in p.provider_metadata.get("gemini", {}) for p in texts)


THOUGHT_PARTS: list[dict[str, Any]] = [
    {"text": "Think A. ", "thought": True},
    {"text": "Think B.", "thought": True, "thoughtSignature": "U2lnVGhvdWdodA=="},
    {"text": "Answer."},
]


@pytest.mark.parametrize("provider", ["gemini", "vertex"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_thought_parts_are_echoed_with_and_without_signature(registry: Any, provider: str, stream: bool) -> None:
    """Thought parts go back as they came: the signed one with its signature, the unsigned one too
    (https://ai.google.dev/api/generate-content#Part : ``thought``, ``thoughtSignature``)."""
    spec = registry.get(provider)
    if stream:
        body = b"".join(b"data: " + json.dumps(_chunk([p], i == len(THOUGHT_PARTS) - 1)).encode() + b"\n\n" for i, p in enumerate(THOUGHT_PARTS))
        proc = ResponseProcessor(spec, model="gemini-3.8-flash", stream=True, framing="sse")
    else:
        body = json.dumps(_chunk(THOUGHT_PARTS, True)).encode()
        proc = ResponseProcessor(spec, model="gemini-3.8-flash", stream=False)
    events = proc.start() + proc.feed(body) + proc.close()
    response = events[-1].response
    assert response.reasoning == "Think A. Think B." and response.text == "Answer."
    env = {"GEMINI_API_KEY": "k", "GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_CLOUD_LOCATION": "us-central1"}
    with specwire.Client(load_entry_points=False, registry=registry, env=env) as client:
        plan = client.build(f"{provider}:gemini-3.8-flash", [Message(role="user", content="q"), response.message(), Message(role="user", content="more")])
    assert plan.body["contents"][1] == {"role": "model", "parts": THOUGHT_PARTS}
