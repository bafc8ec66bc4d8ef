"""Tool definitions are checked before anything is sent: each ``parameters`` against the JSON
Schema draft 2020-12 meta-schema (https://json-schema.org/draft/2020-12/schema), names unique, and
a ``tool_choice`` naming a tool must name a declared one.  The error names the tool and the place
in its schema."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import specwire
from specwire import RequestBuildError

MODEL = "openai:gpt-4o"
GOOD = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


class _Refuse:
    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return httpx.Response(500)


def _tool(name: str = "weather", parameters: Any = None) -> dict[str, Any]:
    return {"name": name, "description": "d", "parameters": GOOD if parameters is None else parameters}


BAD_SCHEMAS = [
    ({"type": "objekt"}, "/type", "did you mean 'object'?"),
    ({"type": "object", "properties": {"city": {"type": "strin"}}}, "/properties/city/type", "did you mean 'string'?"),
    ({"type": "object", "properties": {"city": {"type": 5}}}, "/properties/city/type", "5"),
    ({"type": "object", "required": "city"}, "/required", "array"),
    ({"type": "object", "properties": []}, "/properties", "object"),
    ({"type": "object", "properties": {"n": {"type": "integer", "minimum": "0"}}}, "/properties/n/minimum", "number"),
]


@pytest.mark.parametrize(("schema", "path", "word"), BAD_SCHEMAS, ids=[p for _, p, _ in BAD_SCHEMAS])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_invalid_parameters_schema_is_refused_before_io(kind: str, schema: Any, path: str, word: str) -> None:
    handler = _Refuse()
    client = specwire.Client(api_keys={"openai": "sk-test"}, transport=httpx.MockTransport(handler), async_transport=httpx.MockTransport(handler), load_entry_points=False)
    tools = [_tool("ok"), _tool("weather", schema)]
    with pytest.raises(RequestBuildError) as info:
        if kind == "sync":
            client.complete(MODEL, "hi", tools=tools, max_retries=0)
        else:
            asyncio.run(client.acomplete(MODEL, "hi", tools=tools, max_retries=0))
    text = str(info.value)
    assert text.startswith("tools[1] ('weather'): parameters is not a valid JSON Schema: at " + path + ":"), text
    assert word in text, text
    assert handler.sent == 0


def test_valid_schemas_pass_and_the_check_is_cached() -> None:
    from specwire import validate

    client = specwire.Client(api_keys={"openai": "sk-test"}, load_entry_points=False)
    validate._cached_schema_problem.cache_clear()
    for _ in range(3):
        client.build(MODEL, "hi", tools=[_tool("a"), _tool("b", {"type": "object", "properties": {"x": {"$ref": "#/$defs/x"}}, "$defs": {"x": {"type": "number"}}})])
    info = validate._cached_schema_problem.cache_info()
    assert info.misses == 2 and info.hits == 4


def test_tool_choice_must_name_a_declared_tool() -> None:
    client = specwire.Client(api_keys={"openai": "sk-test"}, load_entry_points=False)
    with pytest.raises(RequestBuildError) as info:
        client.build(MODEL, "hi", tools=[_tool("get_weather"), _tool("get_time")], tool_choice="get_wether")
    text = str(info.value)
    assert "tool_choice names the tool 'get_wether'" in text and "did you mean 'get_weather'?" in text, text
    with pytest.raises(RequestBuildError, match="tool_choice names the tool 'nope'"):
        client.build(MODEL, "hi", tools=[_tool("get_weather")], tool_choice={"type": "function", "function": {"name": "nope"}})
    plan = client.build(MODEL, "hi", tools=[_tool("get_weather")], tool_choice="get_weather")
    assert plan.body["tool_choice"]["function"]["name"] == "get_weather"


def test_tool_names_are_unique() -> None:
    client = specwire.Client(api_keys={"openai": "sk-test"}, load_entry_points=False)
    with pytest.raises(RequestBuildError, match=r"^tools\[1\]: a second tool named 'a'"):
        client.build(MODEL, "hi", tools=[_tool("a"), _tool("a")])
