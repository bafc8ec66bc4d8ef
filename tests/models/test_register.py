"""Specs registered at run time: ``SpecRegistry.register(path_or_mapping)`` and
``Client(specs=[...])`` (engine/registry.py, engine/spec/registered.py).

What this protects: a spec built in code goes through every check a file goes through (the
loader's limits and traps, the JSON schema, the semantic checks, the compiler, credential
binding, provider-alias clashes) and fails with the same :class:`SpecError` and issues, naming
``<registered:PROVIDER>`` and the key path when it has no file; ``extends`` works against the
built-ins; reusing a built-in id needs ``override: true``; a registration ranks above every
folder; the bare-name memo and the alias map are recomputed; ``Client(specs=...)`` never touches
the process-wide registry.  Calls are served by respx (never the network); the request shape is
OpenAI's Chat Completions (https://platform.openai.com/docs/api-reference/chat/create), which
the specs below inherit.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import specwire
from specwire.errors import ModelNotFoundError, SpecError
from specwire.registry import REGISTERED_LAYER, SpecRegistry, default_registry
from specwire.spec.loader import MAX_DEPTH, MAX_FILE_BYTES

BODY = {"id": "c1", "object": "chat.completion", "model": "acme-1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}


def acme(**extra: Any) -> dict[str, Any]:
    """A small spec built in code: OpenAI's wire format at another host, with its own key variable."""
    return {"spec_version": 1, "provider": "acme", "extends": "openai", "base_url": "https://api.acme.example.test/v1",
            "env": {"api_key": "ACME_KEY"}, "models": [{"id": "acme-1", "context_window": 8000}], **extra}


@pytest.fixture
def registry() -> SpecRegistry:
    return SpecRegistry(user_config=False, env={})


def test_a_registered_mapping_is_a_provider(registry: SpecRegistry) -> None:
    spec = registry.register(acme(bare_names={"patterns": ["acme-*"], "priority": 100}, provider_aliases=["acme-ai"]))
    assert spec.provider == "acme" and registry.get("acme") is spec
    assert "acme" in registry.providers()
    assert registry.origin("acme") == (REGISTERED_LAYER, Path("<registered:acme>"))
    assert registry.resolve("acme:acme-1")[0].provider == "acme"
    assert registry.resolve("acme-ai/acme-1")[0].provider == "acme", "its provider alias works"
    provider, model, warnings = registry.resolve("acme-7")  # an id no catalog lists: the pattern
    assert (provider.provider, model) == ("acme", "acme-7")
    assert any(w.kind == "bare-model" for w in warnings)
    assert spec.model_info("acme-1") is not None and spec.model_info("acme-1").context_window == 8000  # type: ignore[union-attr]


def test_a_registered_file_is_checked_like_a_search_path_file(tmp_path: Path, registry: SpecRegistry) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(textwrap.dedent("""\
        spec_version: 1
        provider: acme
        extends: openai
        base_url: https://api.acme.example.test/v1
        env: {api_key: ACME_KEY}
        """), encoding="utf-8")
    assert registry.register(path).provider == "acme"
    assert registry.origin("acme") == (REGISTERED_LAYER, path)
    bad = tmp_path / "other.yaml"
    bad.write_text(path.read_text(encoding="utf-8").replace("provider: acme", "provider: acme2"), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        registry.register(bad)
    assert info.value.rule == "provider-name" and info.value.file == str(bad)
    with pytest.raises(SpecError):
        registry.register(tmp_path / "acme.json")


def test_a_broken_mapping_fails_as_a_file_would_and_registers_nothing(tmp_path: Path, registry: SpecRegistry) -> None:
    spec = acme(base_url=3, stream={"framing": "no-such-framing"})
    with pytest.raises(SpecError) as info:
        registry.register(spec)
    err = info.value
    assert err.file == "<registered:acme>"
    paths = {i.path for i in err.issues if i.level == "error"}
    assert "base_url" in paths
    assert all(i.file == "<registered:acme>" for i in err.issues)
    assert "acme" not in registry.providers()
    # the same tree as a file on the search path: the same findings (rules and key paths)
    import yaml

    (tmp_path / "acme.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    as_file = SpecRegistry([tmp_path], user_config=False, env={}).check_file(tmp_path / "acme.yaml")
    assert {(i.rule, i.path, i.line, i.col) for i in as_file if i.level == "error"} == {(i.rule, i.path, i.line, i.col) for i in err.issues if i.level == "error"}


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ({"spec_version": 1, "base_url": "https://x.example.test"}, "provider-name"),  # no id
        (acme(extends="no-such-provider"), "unknown-extends"),
        (acme(description="x" * (MAX_FILE_BYTES + 1)), "file-size"),
        (acme(x={"y": object()}), "registered-value"),
        (acme(models=[{"id": "acme-1", "released": __import__("datetime").date(2025, 1, 1)}]), "registered-value"),  # dates are strings in specs
        (acme(provider_aliases=["google"]), "provider-alias-clash"),  # gemini's alias
        ({**acme(), "provider": "google"}, "provider-alias-clash"),  # an id that is another spec's alias
    ],
)
def test_what_a_file_may_not_hold_a_mapping_may_not_either(registry: SpecRegistry, spec: dict[str, Any], rule: str) -> None:
    with pytest.raises(SpecError) as info:
        registry.register(spec)
    assert rule in {info.value.rule, *(i.rule for i in info.value.issues)}


def test_nesting_and_self_reference(registry: SpecRegistry) -> None:
    deep: dict[str, Any] = acme()
    node = deep.setdefault("provider_options_doc", {})
    for _ in range(MAX_DEPTH + 5):
        node = node.setdefault("k", {})
    with pytest.raises(SpecError) as info:
        registry.register(deep)
    assert info.value.rule == "yaml-depth"
    cyclic = acme()
    cyclic["x"] = cyclic
    with pytest.raises(SpecError) as info:
        registry.register(cyclic)
    assert info.value.rule == "yaml-alias"


def test_a_builtin_id_needs_override_true(registry: SpecRegistry) -> None:
    replaced = {"spec_version": 1, "provider": "openai", "extends": "openai", "base_url": "https://proxy.example.test/v1", "env": {"api_key": "PROXY_KEY"}}
    with pytest.raises(SpecError) as info:
        registry.register(replaced)
    assert info.value.rule == "builtin-shadowing"
    assert registry.get("openai").data["base_url"].startswith("https://api.openai.com")
    spec = registry.register({**replaced, "override": True})
    assert spec.data["base_url"] == "https://proxy.example.test/v1"
    assert registry.get("openai") is spec
    assert any(w.rule == "builtin-override" for w in registry.warnings)


def test_a_later_registration_shadows_an_earlier_one_and_may_extend_it(registry: SpecRegistry) -> None:
    registry.register(acme())
    spec = registry.register({"spec_version": 1, "provider": "acme", "extends": "acme", "base_url": "https://eu.acme.example.test/v1"})
    assert spec.data["base_url"] == "https://eu.acme.example.test/v1"
    assert spec.data["env"] == {"api_key": "ACME_KEY"}, "inherited from the earlier registration"


def test_registration_forgets_remembered_bare_names(registry: SpecRegistry) -> None:
    assert registry.resolve("gpt-4o")[0].provider == "openai"
    registry.register(acme(models=[{"id": "gpt-4o"}], bare_names={"priority": 500}))
    assert registry.resolve("gpt-4o")[0].provider == "acme", "the memo was cleared"
    with pytest.raises(ModelNotFoundError):
        registry.resolve("acme-nothing-matches")


def test_client_specs_register_on_a_registry_of_its_own() -> None:
    before = default_registry().providers()
    client = specwire.Client(specs=[acme()], api_keys={"acme": "sk-acme"}, load_entry_points=False)
    assert "acme" in client.registry.providers()
    assert client.registry is not default_registry() and default_registry().providers() == before
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post("https://api.acme.example.test/v1/chat/completions").mock(return_value=httpx.Response(200, json=BODY))
        response = client.complete("acme:acme-1", "hi")
    assert response.text == "hello" and route.call_count == 1
    with pytest.raises(SpecError):
        specwire.Client(specs=[acme(base_url=3)], load_entry_points=False)


def test_client_specs_async_call() -> None:
    client = specwire.Client(specs=[acme()], api_keys={"acme": "sk-acme"}, load_entry_points=False)

    async def run() -> specwire.Response:
        try:
            return await client.acomplete("acme:acme-1", "hi")
        finally:
            await client.aclose()

    with respx.mock(assert_all_called=True) as mock:
        mock.post("https://api.acme.example.test/v1/chat/completions").mock(return_value=httpx.Response(200, json=BODY))
        response = asyncio.run(run())
    assert response.text == "hello"
