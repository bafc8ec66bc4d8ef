"""The named schema rule sets a spec's ``strict_schema:`` applies (engine/structured.py), and
``response_format=<pydantic model class>``.

What this protects: OpenAI strict mode's rules (every object ``additionalProperties: false`` and
every property in ``required``, no ``default``, a ``$ref`` with sibling keywords inlined;
https://platform.openai.com/docs/guides/structured-outputs#supported-schemas), Anthropic's (every
object closed, unsupported constraints moved to the description rather than sent;
https://platform.claude.com/docs/en/build-with-claude/structured-outputs), the caller's schema
left untouched, and the names the spec schema accepts kept in step with the engine's.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from specwire import Request, ResponseFormat
from specwire.structured import strict_schema

ROOT = Path(__file__).resolve().parents[2]


class Address(BaseModel):
    street: str = Field(description="street and number")
    city: str


class Person(BaseModel):
    name: str
    age: int | None = None
    home: Address = Field(description="where they live")
    tags: list[str] = Field(default_factory=list, min_length=2)


def _objects(node: object) -> list[dict]:
    out: list[dict] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            out.append(node)
        for value in node.values():
            out += _objects(value)
    elif isinstance(node, list):
        for value in node:
            out += _objects(value)
    return out


def test_a_model_class_becomes_a_strict_json_schema_format() -> None:
    rf = Request(messages="hi", response_format=Person).response_format
    assert rf is not None and rf.type == "json_schema" and rf.name == "Person" and rf.strict is True
    assert rf.json_schema == Person.model_json_schema() and rf.output_type is Person
    # the dict and string forms still work and carry no class
    assert ResponseFormat.model_validate({"type": "json_schema", "schema": {"type": "object"}}).output_type is None
    assert Request(messages="hi", response_format="json").response_format.output_type is None  # type: ignore[union-attr]
    # the class is not part of the wire value
    assert "output_type" not in Request(messages="hi", response_format=Person).generic_params()["response_format"]


def test_closed_required_rules_close_every_object_and_require_every_property() -> None:
    schema = Person.model_json_schema()
    before = copy.deepcopy(schema)
    out = strict_schema(schema, "closed-required")
    assert schema == before  # the caller's schema is not modified
    objects = _objects(out)
    assert len(objects) == 3  # the root, $defs.Address and its copy inlined at `home`
    for node in objects:
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])
    assert "default" not in str(out)
    # `home` had a description beside its $ref: inlined (strict mode takes a bare $ref only)
    assert out["properties"]["home"]["type"] == "object" and out["properties"]["home"]["description"] == "where they live"
    # an optional field stays nullable (required, but null is allowed)
    assert {"type": "null"} in out["properties"]["age"]["anyOf"]


def test_closed_subset_rules_close_objects_and_move_unsupported_constraints() -> None:
    out = strict_schema(Person.model_json_schema(), "closed-subset")
    for node in _objects(out):
        assert node["additionalProperties"] is False
    assert out["required"] == ["name", "home"]  # required is left as the model declares it
    tags = out["properties"]["tags"]
    assert "minItems" not in tags and "minItems: 2" in tags["description"]
    constrained = strict_schema({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "description": "a count"}, "d": {"type": "string", "format": "date"}}}, "closed-subset")
    assert constrained["properties"]["n"] == {"type": "integer", "description": "a count\n\n{minimum: 1}"}
    assert constrained["properties"]["d"]["format"] == "date"  # a supported format stays


def test_an_unknown_rule_set_is_refused_when_the_spec_loads(tmp_path: Path) -> None:
    from specwire import SpecError
    from specwire.registry import SpecRegistry

    (tmp_path / "odd.yaml").write_text(
        "spec_version: 1\nprovider: odd\nextends: openai\n"
        "params:\n  response_format:\n    - strict_schema: nonsense\n      set: {response_format: '{{ value.schema }}'}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError):
        SpecRegistry([str(tmp_path)]).get("odd")
