"""The Bedrock specs after the move of what they share to ``providers.d/bases/aws-bedrock.yaml``.

What this protects: ``bedrock``, ``bedrock-llama`` and ``bedrock-titan`` now ``extends:
bases/aws-bedrock`` instead of each writing the endpoint, key variable, Region setting, SigV4 auth,
error envelope and classes, retries and ListFoundationModels.  Their merged specs must say what
the files said before, so every recorded conformance case replays as it did.

``data/bedrock_merged.json`` holds the merged tree of each of the four Bedrock specs (without
``models``, which come from the catalogs and never through ``extends``, and without ``extends``)
as the registry built it before the move.  The merged trees must equal it, key order included
where order is meaning (the first matching rule wins): event rules, error classes, params,
request parts, finish reasons, profiles.  One change is deliberate and checked for equivalence:
Llama and Titan had one ``server`` error class for three exception types, and now have the
base's three classes of those types, in the same place among the others and of the same class.

After a deliberate change to a Bedrock spec, regenerate the snapshot:
``.venv/bin/python tests/providers/test_bedrock_bases.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specwire.provider_errors import classify
from specwire.registry import SpecRegistry
from specwire.spec.compile import compile_spec

SNAPSHOT = Path(__file__).parent / "data" / "bedrock_merged.json"
BEDROCK = ("bedrock", "bedrock-anthropic", "bedrock-llama", "bedrock-titan")
#: maps whose order is meaning: rules are tried in order, the first match wins
ORDERED = (("stream", "events"), ("response", "events"), ("errors", "classes"), ("params",), ("request", "parts"), ("finish_reasons",), ("profiles",))
#: the one deliberate change: `server` (three exception types) became the base's three classes
SPLIT = {"internal": "internalServerException", "model_stream": "modelStreamErrorException", "model_timeout": "modelTimeoutException"}


def merged(registry: SpecRegistry, provider: str) -> dict[str, Any]:
    data = dict(registry.get(provider).data)
    data.pop("models", None)
    data.pop("extends", None)
    return data


def _at(tree: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        tree = (tree or {}).get(key)
    return tree


def _split_server(before: dict[str, Any]) -> dict[str, Any]:
    """``before`` with a combined ``server`` error class replaced, in its place, by the base's three."""
    out = json.loads(json.dumps(before))
    classes = out["errors"]["classes"]
    if "server" not in classes:
        return out
    rebuilt: dict[str, Any] = {}
    for name, rule in classes.items():
        if name == "server":
            rebuilt.update({n: {"when": f"type == '{t}'", "class": "ServerError"} for n, t in SPLIT.items()})
        else:
            rebuilt[name] = rule
    out["errors"]["classes"] = rebuilt
    return out


@pytest.fixture(scope="module")
def registry() -> SpecRegistry:
    return SpecRegistry(env={}, user_config=False)


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("provider", BEDROCK)
def test_merged_spec_is_what_it_was(registry: SpecRegistry, before: dict[str, Any], provider: str) -> None:
    now, was = merged(registry, provider), _split_server(before[provider])
    assert json.dumps(now, sort_keys=True) == json.dumps(was, sort_keys=True)
    for path in ORDERED:
        assert list(_at(now, path) or {}) == list(_at(was, path) or {}), ".".join(path)


@pytest.mark.parametrize("provider", ["bedrock-llama", "bedrock-titan"])
def test_split_server_class_classifies_as_before(registry: SpecRegistry, before: dict[str, Any], provider: str) -> None:
    """The old combined ``server`` class and the base's split classes pick the same error class
    for every status and exception type."""
    old, _ = compile_spec({**before[provider], "models": []}, provider)
    new = registry.get(provider)
    types = [None, "validationException", "throttlingException", "serviceUnavailableException", *SPLIT.values(), "accessDeniedException"]
    messages = [None, "Input is too long for requested model.", "The input token count exceeds the limit", "other"]
    for status in (None, 400, 403, 408, 424, 429, 500, 503):
        for error_type in types:
            for message in messages:
                data = {"message": message, "type": error_type}
                assert classify(new.errors, status, data) is classify(old.errors, status, data), (status, error_type, message)


def test_bedrock_specs_extend_the_base(registry: SpecRegistry) -> None:
    for provider in ("bedrock", "bedrock-llama", "bedrock-titan"):
        assert registry.lint_file(registry.origin(provider)[1]).chain == (provider, "bases/aws-bedrock")
    assert "bases/aws-bedrock" in registry.bases()
    assert not [p for p in registry.providers() if "/" in p or p == "aws-bedrock"]


if __name__ == "__main__":  # regenerate the snapshot (after a deliberate change to a Bedrock spec)
    reg = SpecRegistry(env={}, user_config=False)
    SNAPSHOT.write_text(json.dumps({p: merged(reg, p) for p in BEDROCK}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
