"""Bare model names, provider default models and provider aliases (docs/ARCHITECTURE.md section 4:
``bare_names``, ``default_model``, ``provider_aliases``; engine/model_refs.py).

What this protects: a model name alone picks a provider on the plain Client — a catalog that lists
the id, ranked by ``bare_names.priority`` (the vendor's own API before the platforms that resell
it; a tie is still ambiguous), else the vendor whose ``bare_names.patterns`` match an unlisted id —
with a ``bare-model`` warning naming the ``provider:model`` chosen; a provider id or alias alone
uses the spec's ``default_model``; ``alias:model`` and ``alias/model`` refs work; unknown names
fail with a suggestion; explicit refs keep their meaning.  Requests are built with
``Client.build`` (no I/O) and one call per vendor is served by respx (never the network).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import specwire
from specwire.errors import ModelNotFoundError, SpecError
from specwire.registry import SpecRegistry

KEYS = {p: "test-key" for p in ("openai", "anthropic", "gemini", "xai", "alibaba", "siliconflow", "cohere")}


@pytest.fixture
def client() -> specwire.Client:
    return specwire.Client(api_keys=KEYS, registry=SpecRegistry(user_config=False, env={}))


def bare(plan: Any) -> list[str]:
    return [w.detail for w in plan.warnings if w.kind == "bare-model"]


class Built:
    """``Client.build`` of a ref plus the provider and model it resolved to."""

    def __init__(self, client: specwire.Client, ref: str) -> None:
        self.plan = client.build(ref, "hi")
        spec, self.model, _ = client.registry.resolve(ref)
        self.provider = spec.provider
        self.warnings = self.plan.warnings


@pytest.mark.parametrize(
    ("name", "provider"),
    [
        ("gpt-4o", "openai"),
        ("o3-mini", "openai"),
        ("chatgpt-4o-latest", "openai"),
        ("claude-3-5-sonnet-latest", "anthropic"),
        ("gemini-1.5-pro", "gemini"),
        ("grok-2", "xai"),
        ("command-r-plus", "cohere"),
        ("mistral-large-latest", "mistral"),
        ("deepseek-chat", "deepseek"),
    ],
)
def test_unlisted_ids_go_to_the_vendor_whose_pattern_matches(client: specwire.Client, name: str, provider: str) -> None:
    plan = Built(client, name)
    assert plan.provider == provider
    assert plan.model == name
    assert bare(plan) and f"{provider}:{name}" in bare(plan)[0]


def test_a_catalog_id_in_several_catalogs_goes_to_the_highest_priority(client: specwire.Client) -> None:
    registry = client.registry
    owners = [p for p in registry.providers() if registry.get(p).model_info("gpt-5.5") is not None]
    assert len(owners) > 1 and "openai" in owners  # the case the ranking exists for
    plan = Built(client, "gpt-5.5")
    assert plan.provider == "openai"
    assert "openai:gpt-5.5" in bare(plan)[0]
    claude = Built(client, "claude-sonnet-5-5")
    assert claude.provider == "anthropic"  # not vertex-anthropic, which re-lists it


def test_a_catalog_listing_beats_a_higher_priority_pattern(tmp_path: Path) -> None:
    _spec(tmp_path, "acme", "bare_names: {patterns: ['acme-*'], priority: 100}\nmodels: [{id: acme-1}]\n")
    _spec(tmp_path, "acme-resale", "bare_names: {priority: 5}\nmodels: [{id: acme-2}]\n")
    registry = SpecRegistry([tmp_path], user_config=False, env={})
    spec, model, warnings = registry.resolve("acme-2")
    assert (spec.provider, model) == ("acme-resale", "acme-2")
    assert registry.resolve("acme-3")[0].provider == "acme"  # unlisted: the pattern
    assert any(w.kind == "bare-model" for w in warnings)


def test_explicit_refs_keep_their_meaning_and_carry_no_bare_warning(client: specwire.Client) -> None:
    plan = Built(client, "openai-responses:gpt-5.5")
    assert plan.provider == "openai-responses" and bare(plan) == []
    assert Built(client, "xai/grok-4.5").provider == "xai"


def test_a_provider_id_or_alias_alone_uses_the_default_model(client: specwire.Client) -> None:
    registry = client.registry
    plan = Built(client, "xai")
    default = registry.get("xai").data["default_model"]
    assert (plan.provider, plan.model) == ("xai", default)
    assert registry.get("xai").model_info(default) is not None
    assert f"xai:{default}" in bare(plan)[0]
    google = Built(client, "google")
    assert google.provider == "gemini" and google.model == registry.get("gemini").data["default_model"]


def test_every_builtin_default_model_is_a_current_catalog_model() -> None:
    registry = SpecRegistry(user_config=False, env={})
    for provider in registry.providers():
        spec = registry.get(provider)
        default = spec.data.get("default_model")
        if default is None:
            continue
        info = spec.model_info(default)
        assert info is not None and not info.deprecated, provider


def test_provider_aliases_work_in_refs(client: specwire.Client) -> None:
    assert Built(client, "aliyun:qwen3-max").provider == "alibaba"
    assert Built(client, "silicon_flow/zai-org/GLM-5.1").provider == "siliconflow"
    assert client.registry.aliases()["bedrock_converse"] == "bedrock"


def test_unknown_names_fail_with_a_suggestion(client: specwire.Client) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        Built(client, "gpt5")
    assert info.value.suggestion is not None
    with pytest.raises(ModelNotFoundError):
        Built(client, "llama-foo-unknown")
    with pytest.raises(ModelNotFoundError):
        Built(client, "nope:model")


def _spec(folder: Path, provider: str, extra: str) -> None:
    text = f"""
        spec_version: 1
        provider: {provider}
        extends: openai
        base_url: https://{provider}.example.test/v1
        env: {{api_key: {provider.upper().replace('-', '_')}_KEY}}
        """
    (folder / f"{provider}.yaml").write_text(textwrap.dedent(text) + textwrap.dedent(extra), encoding="utf-8")


def test_a_tie_at_the_top_is_ambiguous_and_lists_the_candidates(tmp_path: Path) -> None:
    for name in ("acme-a", "acme-b"):
        _spec(tmp_path, name, "bare_names: {patterns: ['acme-*'], priority: 7}\nmodels: [{id: acme-1}]\n")
    _spec(tmp_path, "acme-c", "bare_names: {priority: 3}\nmodels: [{id: acme-1}]\n")
    registry = SpecRegistry([tmp_path], user_config=False, env={})
    with pytest.raises(ModelNotFoundError) as info:
        registry.resolve("acme-1")
    assert "acme-a:acme-1" in str(info.value) and "acme-b:acme-1" in str(info.value)
    assert "acme-c" not in str(info.value)  # ranked out
    with pytest.raises(ModelNotFoundError):
        registry.resolve("acme-2")  # the patterns tie too


def test_an_alias_clash_is_an_error_at_resolution_and_in_validate_spec(tmp_path: Path) -> None:
    _spec(tmp_path, "acme", "provider_aliases: [google]\n")
    registry = SpecRegistry([tmp_path], user_config=False, env={})
    with pytest.raises(SpecError):
        registry.resolve("gpt-4o")
    rules = {i.rule for i in registry.check_file(tmp_path / "acme.yaml") if i.level == "error"}
    assert "provider-alias-clash" in rules


def test_validate_spec_lints_the_new_keys(tmp_path: Path) -> None:
    _spec(tmp_path, "acme", "bare_names: {patterns: ['*', 'acme-[0-9']}\ndefault_model: nope\nprovider_aliases: [acme]\nmodels: [{id: acme-1}]\n")
    registry = SpecRegistry([tmp_path], user_config=False, env={})
    issues = registry.check_file(tmp_path / "acme.yaml")
    rules = [i.rule for i in issues]
    assert rules.count("bare-name-pattern") == 2
    assert "default-model" in rules and "provider-alias-clash" in rules


def test_the_new_keys_are_not_inherited(tmp_path: Path) -> None:
    _spec(tmp_path, "acme", "")
    registry = SpecRegistry([tmp_path], user_config=False, env={})
    data = registry.get("acme").data
    assert not {"bare_names", "default_model", "provider_aliases"} & set(data)


OPENAI_BODY = {
    "id": "c1", "object": "chat.completion", "created": 1, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
ANTHROPIC_BODY = {
    "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
    "content": [{"type": "text", "text": "hello"}], "stop_reason": "end_turn",
    "usage": {"input_tokens": 3, "output_tokens": 1},
}
GEMINI_BODY = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "hello"}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
}


@pytest.mark.parametrize(
    ("name", "provider", "body"),
    [
        ("gpt-4o", "openai", OPENAI_BODY),
        ("claude-3-5-sonnet-latest", "anthropic", ANTHROPIC_BODY),
        ("gemini-1.5-pro", "gemini", GEMINI_BODY),
        ("grok-2", "xai", OPENAI_BODY),
        ("xai", "xai", OPENAI_BODY),
    ],
)
def test_complete_with_a_bare_name(client: specwire.Client, name: str, provider: str, body: dict[str, Any]) -> None:
    plan = client.build(name, "hi")
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url__startswith=plan.url.split("?")[0]).mock(return_value=httpx.Response(200, json=body))
        response = client.complete(name, "hi")
    assert route.call_count == 1
    assert response.text == "hello"
    assert any(w.kind == "bare-model" and f"{provider}:" in w.detail for w in response.warnings)


def test_a_bare_name_is_resolved_once_and_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The specs are fixed once loaded: a bare name's resolution is worked out on its first call
    only; the memo of user-chosen names keeps at most ``_MAX_BARE`` entries."""
    import specwire.registry as registry_module

    calls: list[str] = []
    real = registry_module.resolve_bare

    def counting(model: str, *args: Any) -> Any:
        calls.append(model)
        return real(model, *args)

    monkeypatch.setattr(registry_module, "resolve_bare", counting)
    monkeypatch.setattr(registry_module, "_MAX_BARE", 3)
    registry = SpecRegistry()
    first = registry.resolve("gpt-4o")
    again = registry.resolve("gpt-4o")
    assert calls == ["gpt-4o"]
    assert (first[0].provider, first[1], first[2]) == (again[0].provider, again[1], again[2])
    for name in ("gpt-a1", "gpt-a2"):  # fills the memo to its limit (3)
        registry.resolve(name)
    registry.resolve("gpt-4o")
    assert calls == ["gpt-4o", "gpt-a1", "gpt-a2"]
    registry.resolve("gpt-a3")  # one past the limit: the memo starts again
    registry.resolve("gpt-4o")
    assert calls == ["gpt-4o", "gpt-a1", "gpt-a2", "gpt-a3", "gpt-4o"]
