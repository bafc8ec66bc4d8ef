"""Catalog ``capabilities`` checked against what a call sends (engine/capabilities.py).

What this protects: an image to a ``vision: false`` model, a reasoning effort to a ``reasoning:
false`` one, tools to a ``tools: false`` one and a JSON schema to a ``json_schema: false`` one are
each one ``unsupported-capability`` warning naming the option (the value is still sent), carried
by the response and the stream's ``warning`` events; with ``strict_capabilities=True`` (per call or
on the Client) they raise :class:`CapabilityError` before any request leaves; a capability the
entry does not declare, a model outside the catalog, and reasoning turned off are never warned.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from specwire import CapabilityError, Client, ImagePart, Message, RequestBuildError, TextPart
from tests.hostile.server import (
    HostileServer,
    hostile,  # noqa: F401  (fixture)
    openai_ok,
)

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg=="
TOOL = {"name": "lookup", "description": "Look it up", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}


class Answer(BaseModel):
    text: str


def _image() -> list[Message]:
    return [Message(role="user", content=[TextPart(text="what is it?"), ImagePart(data=PNG_B64, media_type="image/png")])]


@pytest.fixture(scope="module")
def client() -> Client:
    return Client(load_entry_points=False, env={})


def _capability_warnings(plan: Any) -> list[tuple[str | None, str]]:
    return [(w.param, w.detail) for w in plan.warnings if w.kind == "unsupported-capability"]


@pytest.mark.parametrize(
    ("ref", "options", "messages", "param"),
    [
        ("cohere:command-a-03-2025", {}, "image", "messages"),                          # vision: false
        ("openai:gpt-4.1", {"reasoning": "high"}, "hi", "reasoning"),                    # reasoning: false
        ("huggingface:deepseek-ai/DeepSeek-R1", {"tools": [TOOL]}, "hi", "tools"),     # tools: false
        ("deepseek:deepseek-flash", {"response_format": Answer}, "hi", "response_format"),  # json_schema: false
    ],
)
def test_warned_and_sent_then_refused_when_strict(client: Client, ref: str, options: dict[str, Any], messages: str, param: str) -> None:
    msgs: Any = _image() if messages == "image" else messages
    plan = client.build(ref, msgs, **options)
    (warning,) = _capability_warnings(plan)
    assert warning[0] == param and "it was sent anyway" in warning[1]
    baseline = client.build(ref, msgs)
    assert plan.body != baseline.body or param == "messages"  # the value is still sent
    with pytest.raises(CapabilityError) as info:
        client.build(ref, msgs, strict_capabilities=True, **options)
    assert isinstance(info.value, RequestBuildError) and "strict_capabilities" in str(info.value)
    with pytest.raises(CapabilityError):
        Client(load_entry_points=False, env={}, strict_capabilities=True).build(ref, msgs, **options)
    # the per-call option overrides the Client's setting
    assert _capability_warnings(Client(load_entry_points=False, env={}, strict_capabilities=True).build(ref, msgs, strict_capabilities=False, **options))


def test_nothing_to_warn(client: Client) -> None:
    # declared capable
    assert not _capability_warnings(client.build("openai:gpt-5", _image(), reasoning="high", tools=[TOOL], response_format=Answer))
    # reasoning turned off is not "sending a reasoning effort"
    assert not _capability_warnings(client.build("openai:gpt-4.1", "hi", reasoning="none", strict_capabilities=True))
    # qwen3-max declares no json_schema capability: unknown is not "cannot"
    assert not _capability_warnings(client.build("alibaba:qwen3-max", "hi", response_format=Answer, strict_capabilities=True))
    # a model outside the catalog
    assert not _capability_warnings(client.build("openai:my-fine-tune", _image(), reasoning="high", strict_capabilities=True))


def test_an_option_the_spec_already_refused_is_not_warned_twice(client: Client) -> None:
    plan = client.build("bedrock:amazon.nova-pro-v1:0", "hi", reasoning="high", settings={"region": "us-east-1"})
    assert [w.kind for w in plan.warnings if w.param == "reasoning"] == ["unsupported-param"]
    with pytest.raises(CapabilityError):
        client.build("bedrock:amazon.nova-pro-v1:0", "hi", reasoning="high", settings={"region": "us-east-1"}, strict_capabilities=True)


def test_strict_capabilities_must_be_a_bool(client: Client) -> None:
    with pytest.raises(RequestBuildError, match="strict_capabilities"):
        client.complete("openai:gpt-4.1", "hi", strict_capabilities="yes")


def test_the_warning_reaches_the_response_and_the_stream_and_strict_sends_nothing(hostile: HostileServer) -> None:
    hostile.always(openai_ok(False))
    ref = "openai:gpt-4.1"

    def make(**kwargs: Any) -> Client:
        return Client(api_keys={"openai": "sk-test-caps"}, base_urls={"openai": hostile.url("/v1")}, load_entry_points=False, env={}, **kwargs)

    with make() as client:
        response = client.complete(ref, "hi", reasoning="high")
        assert [w.param for w in response.warnings if w.kind == "unsupported-capability"] == ["reasoning"]
        assert hostile.requests[-1].json()["reasoning_effort"] == "high"
    hostile.always(openai_ok(True))
    with make() as client:
        events = list(client.stream(ref, "hi", reasoning="high"))
    assert [e.warning.param for e in events if e.type == "warning" and e.warning.kind == "unsupported-capability"] == ["reasoning"]
    sent = len(hostile.requests)
    with make(strict_capabilities=True) as client:
        with pytest.raises(CapabilityError):
            client.complete(ref, "hi", reasoning="high")
        with pytest.raises(CapabilityError):
            list(client.stream(ref, "hi", reasoning="high"))
    assert len(hostile.requests) == sent  # refused before any I/O
