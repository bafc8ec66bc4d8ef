"""Imported model catalogs (docs/ARCHITECTURE.md section 4, "Imported catalogs"; engine/catalogs.py,
tools/import_catalog.py).

What this protects: the import tool turns LiteLLM's dataset (USD per token, ``litellm_provider``
names, ``supports_*`` flags, ``deprecation_date``) into catalog entries in specwire's units and
provider ids, with their source and date; a spec's ``catalog`` merges them under its own
``models`` (hand-written entries win, ``include`` filters, ``profiles`` rules assign profiles by
id pattern); the OpenAI and Azure reasoning models drop ``temperature``/``top_p`` with a warning;
``follow_deprecated`` sends a deprecated model's replacement only when asked; an imported model
has a cost; ``specwire models`` shows where each entry comes from.  Requests are built with
``Client.build`` (no I/O, never the network).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import specwire
from specwire.accounting import compute_cost
from specwire.cli import main as cli_main
from specwire.errors import SpecError
from specwire.registry import SpecRegistry
from specwire.types import Usage

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("import_catalog", ROOT / "tools" / "import_catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_catalog"] = module
    spec.loader.exec_module(module)
    return module


tool = _tool()

#: A small dataset in LiteLLM's shape (https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json).
DATASET: dict[str, Any] = {
    "sample_spec": {"litellm_provider": "one of https://docs.litellm.ai/docs/providers", "mode": "one of: chat, embedding"},
    "gpt-4o": {
        "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 128000, "max_output_tokens": 16384, "max_tokens": 16384,
        "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06,
        "supports_function_calling": True, "supports_vision": True, "supports_response_schema": True, "supports_pdf_input": True,
        "supports_reasoning": False, "source": "https://platform.openai.com/docs/pricing",
    },
    "o3": {
        "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 200000, "max_output_tokens": 100000,
        "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, "supports_reasoning": True,
        "deprecation_date": "2026-12-11", "successor_model": "gpt-5.6-sol",
    },
    "ft:gpt-4o-2024-08-06": {"litellm_provider": "openai", "mode": "chat", "max_input_tokens": 128000, "input_cost_per_token": 3.75e-06},
    "text-embedding-3-small": {"litellm_provider": "openai", "mode": "embedding", "max_input_tokens": 8191, "input_cost_per_token": 2e-08},
    "azure/gpt-4o": {"litellm_provider": "azure", "mode": "chat", "max_input_tokens": 128000, "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05},
    "azure/eu/gpt-4o": {"litellm_provider": "azure", "mode": "chat", "max_input_tokens": 128000, "input_cost_per_token": 2.75e-06},
    "azure/o3": {"litellm_provider": "azure", "mode": "chat", "max_tokens": 100000, "deprecation_date": "2026-11-19", "successor_model": "azure/gpt-5.6-sol"},
    "dashscope/qwen-max": {
        "litellm_provider": "dashscope", "mode": "chat", "max_input_tokens": 30720, "max_output_tokens": 8192,
        "input_cost_per_token": 1.6e-06, "output_cost_per_token": 6.4e-06, "supports_function_calling": True,
    },
    "xai/grok-3": {"litellm_provider": "xai", "mode": "chat", "max_input_tokens": 131072, "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05},
    "meta.llama3-1-70b-instruct-v1:0": {"litellm_provider": "bedrock", "mode": "chat", "max_input_tokens": 128000, "input_cost_per_token": 7.2e-07, "output_cost_per_token": 7.2e-07},
    "bedrock/us-east-1/meta.llama3-70b-instruct-v1:0": {"litellm_provider": "bedrock", "mode": "chat", "max_input_tokens": 8192, "input_cost_per_token": 2.65e-06},
    "deepseek-chat": {"litellm_provider": "deepseek", "mode": "chat", "max_input_tokens": 65536, "input_cost_per_token": 2.7e-07},
    "deepseek/deepseek-chat": {"litellm_provider": "deepseek", "mode": "chat", "max_input_tokens": 131072, "input_cost_per_token": 2.8e-07, "output_cost_per_token": 4.2e-07},
    "gemini/gemini-long": {
        "litellm_provider": "gemini", "mode": "chat", "max_input_tokens": 1048576,
        "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05,
        "input_cost_per_token_above_200k_tokens": 2.5e-06, "output_cost_per_token_above_200k_tokens": 1.5e-05,
        "supports_audio_input": True,
    },
    "groq/meta-llama/llama-4-scout-17b-16e-instruct": {"litellm_provider": "groq", "mode": "chat", "max_input_tokens": 131072, "input_cost_per_token": 1.1e-07},
}
SOURCE = "LiteLLM test-fixture"
AS_OF = "2026-12-01"


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, dict[str, Any]]]:
    return {name: {e["id"]: e for e in entries} for name, entries in tool.build(DATASET, SOURCE, AS_OF).items()}


# ---------------------------------------------------------------------------- the import tool
def test_prices_become_usd_per_million_tokens_and_limits_are_kept(built: dict[str, Any]) -> None:
    gpt4o = built["openai"]["gpt-4o"]
    assert gpt4o["pricing"]["input"] == 2.5 and gpt4o["pricing"]["output"] == 10 and gpt4o["pricing"]["cache_read"] == 1.25
    assert gpt4o["pricing"]["cache_write"] is None
    assert gpt4o["pricing"]["source"] == "https://platform.openai.com/docs/pricing"
    assert gpt4o["context_window"] == 128000 and gpt4o["max_output_tokens"] == 16384
    assert built["alibaba"]["qwen-max"]["pricing"] == {"input": 1.6, "output": 6.4, "cache_read": None, "cache_write": None}
    assert built["bedrock"]["meta.llama3-1-70b-instruct-v1:0"]["pricing"]["input"] == 0.72
    assert built["azure-openai"]["o3"]["context_window"] == 100000  # max_tokens when max_input_tokens is absent


def test_an_above_n_k_price_becomes_a_tier() -> None:
    entry = tool.convert(DATASET["gemini/gemini-long"], "gemini-long", ("gemini/",), SOURCE, AS_OF)
    assert entry["pricing"]["tiers"] == [{"above_input_tokens": 200000, "input": 2.5, "output": 15}]


def test_capabilities_map_to_specwire_names(built: dict[str, Any]) -> None:
    assert built["openai"]["gpt-4o"]["capabilities"] == {"tools": True, "vision": True, "reasoning": False, "json_schema": True, "pdf": True}
    assert built["gemini"]["gemini-long"]["capabilities"] == {"audio": True}
    assert "capabilities" not in built["xai"]["grok-3"]  # unknown stays unknown, not false


def test_providers_map_to_catalog_names_and_routing_keys_are_skipped(built: dict[str, Any]) -> None:
    assert set(built["openai"]) == {"gpt-4o", "o3"}  # no fine-tune, no embedding model
    assert set(built["azure-openai"]) == {"gpt-4o", "o3"}  # azure/eu/… is a deployment-zone price, skipped
    assert built["azure-openai"]["gpt-4o"]["pricing"]["input"] == 2.5
    assert set(built["alibaba"]) == {"qwen-max"} and set(built["xai"]) == {"grok-3"}
    assert set(built["bedrock"]) == {"meta.llama3-1-70b-instruct-v1:0"}  # bedrock/us-east-1/… skipped
    assert set(built["groq"]) == {"meta-llama/llama-4-scout-17b-16e-instruct"}  # ids with "/" kept where the provider uses them
    assert built["deepseek"]["deepseek-chat"]["context_window"] == 131072  # the prefixed key wins a duplicate
    assert built["siliconflow"] == {}


def test_deprecation_and_provenance(built: dict[str, Any]) -> None:
    assert built["openai"]["o3"]["deprecated"] == {"end_of_life": "2026-12-11", "replacement": "gpt-5.6-sol"}
    assert built["azure-openai"]["o3"]["deprecated"] == {"end_of_life": "2026-11-19", "replacement": "gpt-5.6-sol"}
    assert "deprecated" not in built["openai"]["gpt-4o"]
    assert all(e["source"] == SOURCE and e["as_of"] == AS_OF for entries in built.values() for e in entries.values())


def test_the_tool_writes_files_with_a_generated_header(tmp_path: Path) -> None:
    dataset = tmp_path / "prices.json"
    dataset.write_text(json.dumps(DATASET), encoding="utf-8")
    assert tool.main([str(dataset), "--source", SOURCE, "--as-of", AS_OF, "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "openai.yaml").read_text(encoding="utf-8")
    assert text.startswith("# GENERATED by tools/import_catalog.py") and "Regenerate: python tools/import_catalog.py" in text
    assert not (tmp_path / "out" / "siliconflow.yaml").exists()  # nothing to write
    loaded = SpecRegistry(user_config=False, env={})  # the file loads with the spec loader (no anchors, no tags)
    from specwire.spec.loader import load_file

    data = load_file(tmp_path / "out" / "openai.yaml")
    assert not [i for i in data.issues if i.level == "error"]
    assert data.data["source"] == SOURCE and data.data["as_of"] == AS_OF
    assert [m["id"] for m in data.data["models"]] == ["gpt-4o", "o3"]
    assert loaded.providers()  # discovery unaffected


def test_a_models_dev_dataset_fills_the_providers_litellm_lacks() -> None:
    """models.dev's api.json shape (https://github.com/anomalyco/models.dev): prices already USD per
    million tokens, ``cache_input`` an older name of ``cache_read``, capabilities from the flags and
    the input modalities; the model's own file and date are its source."""
    dataset = {"siliconflow": {"models": {
        "zai-org/GLM-5.2": {"cost": {"input": 1.4, "output": 4.4, "cache_input": 0.26, "cache_write": 0}, "limit": {"context": 1049000, "output": 262000},
                            "source": "https://github.com/anomalyco/models.dev/blob/abc/providers/siliconflow/models/zai-org/GLM-5.2.toml"},
        "Qwen/Qwen3-VL-32B-Thinking": {"cost": {"input": 0.2, "output": 1.5}, "limit": {"context": 262000}, "reasoning": True, "tool_call": True,
                                       "modalities": {"input": ["text", "image"]}, "last_updated": "2025-11-25"},
        "nothing/known": {"name": "no facts"},
    }}, "openai": {"models": {"gpt-4o": {"cost": {"input": 2.5}}}}}
    out = tool.build_models_dev(dataset, SOURCE, AS_OF)
    assert list(out) == ["siliconflow"]  # only the providers LiteLLM's dataset lacks
    glm, qwen = {e["id"]: e for e in out["siliconflow"]}["zai-org/GLM-5.2"], {e["id"]: e for e in out["siliconflow"]}["Qwen/Qwen3-VL-32B-Thinking"]
    assert glm["pricing"] == {"input": 1.4, "output": 4.4, "cache_read": 0.26, "cache_write": 0}
    assert glm["context_window"] == 1049000 and glm["max_output_tokens"] == 262000
    assert glm["source"].endswith("GLM-5.2.toml") and glm["as_of"] == AS_OF
    assert qwen["capabilities"] == {"tools": True, "reasoning": True, "vision": True, "audio": False, "pdf": False}
    assert qwen["source"] == SOURCE and qwen["as_of"] == "2025-11-25"
    assert [e["id"] for e in out["siliconflow"]] == ["Qwen/Qwen3-VL-32B-Thinking", "zai-org/GLM-5.2"]


def test_siliconflow_and_alibaba_models_have_prices() -> None:
    registry = SpecRegistry(user_config=False, env={})
    for ref in ("siliconflow:zai-org/GLM-5.2", "siliconflow:Qwen/Qwen3-235B-A22B", "alibaba:qwen-max"):
        provider, model = ref.split(":", 1)
        info = registry.get(provider).model_info(model)
        assert info is not None and info.catalog == provider and info.pricing is not None and info.pricing.input


# ---------------------------------------------------------------------------- merging into a spec
def _folder(tmp_path: Path, spec: str, catalog: str = "") -> SpecRegistry:
    (tmp_path / "catalogs").mkdir(exist_ok=True)
    if catalog:
        (tmp_path / "catalogs" / "acme.yaml").write_text(textwrap.dedent(catalog), encoding="utf-8")
    (tmp_path / "acme.yaml").write_text(textwrap.dedent(spec), encoding="utf-8")
    return SpecRegistry([tmp_path], user_config=False, env={})


CATALOG = """\
    catalog: acme
    source: "acme dataset v1"
    as_of: "2026-12-01"
    models:
      - id: acme-1
        context_window: 1000
        pricing: {input: 1, output: 2, cache_read: null, cache_write: null}
      - id: acme-2
        context_window: 2000
        pricing: {input: 3, output: 4, cache_read: null, cache_write: null}
        deprecated: {end_of_life: "2026-01-01", replacement: acme-3}
      - id: acme-3
        context_window: 3000
      - id: acme-r1
        context_window: 4000
      - id: other-1
        context_window: 5000
"""
SPEC = """\
    spec_version: 1
    provider: acme
    extends: openai
    base_url: https://api.acme.test/v1
    env: {api_key: ACME_API_KEY}
    profiles:
      cold:
        params:
          temperature: {unsupported: "acme reasoning models take no temperature"}
    catalog:
      name: acme
      include: ["acme-*"]
      profiles:
        - {match: ["acme-r*"], profile: cold}
    models:
      - id: acme-1
        context_window: 999
        pricing: {input: 10, output: 20, cache_read: null, cache_write: null, source: "https://acme.test/pricing", as_of: "2026-11-30"}
"""


def test_hand_written_entries_win_and_imported_ones_are_stamped(tmp_path: Path) -> None:
    spec = _folder(tmp_path, SPEC, CATALOG).get("acme")
    assert [m.id for m in spec.models] == ["acme-1", "acme-2", "acme-3", "acme-r1"]  # include drops other-1
    own = spec.model_info("acme-1")
    assert own is not None and own.context_window == 999 and own.catalog is None and own.pricing is not None and own.pricing.input == 10
    imported = spec.model_info("acme-2")
    assert imported is not None and imported.catalog == "acme" and imported.source == "acme dataset v1" and imported.as_of == "2026-12-01"
    assert imported.pricing is not None and imported.pricing.as_of == "2026-12-01" and imported.pricing.source == "acme dataset v1"


def test_a_hand_written_alias_also_wins(tmp_path: Path) -> None:
    spec = _folder(tmp_path, SPEC.replace("      - id: acme-1\n", "      - id: acme-1\n        aliases: [acme-3]\n"), CATALOG).get("acme")
    assert [m.id for m in spec.models] == ["acme-1", "acme-2", "acme-r1"]
    assert spec.model_info("acme-3") is spec.model_info("acme-1")


def test_profiles_by_id_pattern_apply_to_imported_entries(tmp_path: Path) -> None:
    client = specwire.Client(registry=_folder(tmp_path, SPEC, CATALOG), api_keys={"acme": "k"}, load_entry_points=False)
    plan = client.build("acme:acme-r1", "hi", temperature=0.5)
    assert "temperature" not in plan.body
    assert [w.kind for w in plan.warnings] == ["unsupported-param"]
    assert client.build("acme:acme-3", "hi", temperature=0.5).body["temperature"] == 0.5


def test_a_child_spec_does_not_inherit_the_catalog(tmp_path: Path) -> None:
    registry = _folder(tmp_path, SPEC, CATALOG)
    (tmp_path / "acme-eu.yaml").write_text("spec_version: 1\nprovider: acme-eu\nextends: acme\nbase_url: https://eu.acme.test/v1\n", encoding="utf-8")
    registry = SpecRegistry([tmp_path], user_config=False, env={})
    assert registry.get("acme-eu").models == ()
    assert "catalogs" not in registry.providers() and "other-1" not in registry.providers()


def test_an_unknown_catalog_is_a_spec_error(tmp_path: Path) -> None:
    registry = _folder(tmp_path, SPEC.replace("name: acme", "name: nowhere"), CATALOG)
    with pytest.raises(SpecError) as info:
        registry.get("acme")
    assert any(i.rule == "unknown-catalog" for i in info.value.issues)


@pytest.mark.parametrize("name", ["../acme", "catalogs/acme", "ACME"])
def test_a_catalog_name_is_never_a_path(tmp_path: Path, name: str) -> None:
    registry = _folder(tmp_path, SPEC.replace("name: acme", f'name: "{name}"'), CATALOG)
    with pytest.raises(SpecError):
        registry.get("acme")


def test_a_catalog_symlink_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(textwrap.dedent(CATALOG), encoding="utf-8")
    registry = _folder(tmp_path, SPEC)
    (tmp_path / "catalogs" / "acme.yaml").symlink_to(outside)
    with pytest.raises(SpecError) as info:
        registry.get("acme")
    assert any(i.rule == "symlink-escape" for i in info.value.issues)


def test_a_bad_imported_entry_is_reported_in_the_catalog_file(tmp_path: Path) -> None:
    registry = _folder(tmp_path, SPEC, CATALOG.replace("context_window: 3000", "context_window: lots"))
    issues = registry.check_file(tmp_path / "acme.yaml")
    errors = [i for i in issues if i.level == "error"]
    assert errors and all(Path(i.file).name == "acme.yaml" and Path(i.file).parent.name == "catalogs" for i in errors)


# ---------------------------------------------------------------------------- built-in specs
@pytest.fixture(scope="module")
def client() -> specwire.Client:
    return specwire.Client(
        registry=SpecRegistry(user_config=False, env={}), load_entry_points=False,
        api_keys={"openai": "k", "azure-openai": "k", "openai-responses": "k", "azure-openai-responses": "k"},
        settings={p: {"resource": "res", "deployment": "dep"} for p in ("azure-openai", "azure-openai-responses")},
    )


@pytest.mark.parametrize("provider", ["openai", "openai-responses", "azure-openai", "azure-openai-responses"])
@pytest.mark.parametrize("model", ["o3", "o4-mini"])
def test_openai_reasoning_models_drop_temperature_and_top_p(client: specwire.Client, provider: str, model: str) -> None:
    """OpenAI reasoning models take no sampling parameters
    (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/reasoning#not-supported)."""
    plan = client.build(f"{provider}:{model}", "hi", temperature=0.2, top_p=0.9)
    assert "temperature" not in plan.body and "top_p" not in plan.body
    dropped = sorted(w.param or "" for w in plan.warnings if w.kind == "unsupported-param")
    assert dropped == ["temperature", "top_p"]


@pytest.mark.parametrize("provider", ["openai", "azure-openai"])
def test_a_non_reasoning_model_keeps_its_sampling_parameters(client: specwire.Client, provider: str) -> None:
    plan = client.build(f"{provider}:gpt-4o", "hi", temperature=0.2, top_p=0.9)
    assert plan.body["temperature"] == 0.2 and plan.body["top_p"] == 0.9


def test_gpt_5_1_and_later_take_temperature_only_without_reasoning(client: specwire.Client) -> None:
    assert client.build("openai:gpt-5.5", "hi", temperature=0.2).body["temperature"] == 0.2
    plan = client.build("openai:gpt-5.5", "hi", temperature=0.2, reasoning="high")
    assert "temperature" not in plan.body and [w.param for w in plan.warnings if w.kind == "unsupported-param"] == ["temperature"]


@pytest.mark.parametrize(
    ("ref", "provider"),
    [("openai:gpt-4o", "openai"), ("openai:gpt-4o-mini", "openai"), ("openai:gpt-4.1-nano", "openai"), ("openai:o1", "openai"),
     ("openai:o3-mini", "openai"), ("azure-openai:gpt-4o-mini", "azure-openai"), ("deepseek:deepseek-reasoner", "deepseek"),
     ("cohere:command-r-08-2024", "cohere"), ("alibaba:qwen-max", "alibaba"), ("bedrock:meta.llama3-1-70b-instruct-v1:0", "bedrock"),
     ("bedrock-anthropic:anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock-anthropic"), ("groq:openai/gpt-oss-20b", "groq")],
)
def test_models_people_call_every_day_have_a_catalog_entry(client: specwire.Client, ref: str, provider: str) -> None:
    spec, model, _ = client.registry.resolve(ref)
    info = spec.model_info(model)
    assert spec.provider == provider and info is not None and info.context_window and info.pricing is not None


def test_an_imported_model_has_a_cost(client: specwire.Client) -> None:
    """gpt-4o: $2.50 in, $1.25 cached in, $10 out per million tokens (LiteLLM, citing
    https://developers.openai.com/api/docs/pricing)."""
    info = client.registry.get("openai").model_info("gpt-4o")
    assert info is not None and info.catalog == "openai"
    usage = Usage(input_tokens=1_000_000, cache_read_tokens=200_000, output_tokens=100_000)
    cost, reason = compute_cost(usage, info, "gpt-4o")
    assert reason is None and cost is not None
    expected = 0.8 * 2.5 + 0.2 * 1.25 + 0.1 * 10.0
    assert cost.total == pytest.approx(expected)


# ---------------------------------------------------------------------------- follow_deprecated
def _deprecated(tmp_path: Path, follow: bool) -> specwire.Client:
    return specwire.Client(registry=_folder(tmp_path, SPEC, CATALOG), api_keys={"acme": "k"}, load_entry_points=False, follow_deprecated=follow)


def test_a_deprecated_model_is_sent_as_given_by_default(tmp_path: Path) -> None:
    plan = _deprecated(tmp_path, False).build("acme:acme-2", "hi")
    assert plan.body["model"] == "acme-2"
    [warning] = [w for w in plan.warnings if w.kind == "deprecated-model"]
    assert "acme-3" in warning.detail


def test_follow_deprecated_sends_the_replacement_and_names_both(tmp_path: Path) -> None:
    plan = _deprecated(tmp_path, True).build("acme:acme-2", "hi")
    assert plan.body["model"] == "acme-3"
    [warning] = [w for w in plan.warnings if w.kind == "deprecated-model"]
    assert "'acme-2'" in warning.detail and "'acme-3'" in warning.detail
    assert not [w for w in plan.warnings if w.kind == "unknown-model"]


def test_follow_deprecated_leaves_a_current_model_alone(tmp_path: Path) -> None:
    plan = _deprecated(tmp_path, True).build("acme:acme-3", "hi")
    assert plan.body["model"] == "acme-3" and plan.warnings == []


# ---------------------------------------------------------------------------- specwire models
def test_specwire_models_shows_origin_source_and_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["models", "deepseek"]) == 0
    out = capsys.readouterr().out
    assert "hand-written" in out and "imported (deepseek)" in out
    assert "LiteLLM" in out and "as of " in out
    assert cli_main(["models", "deepseek", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    imported = [r for r in rows if r["origin"] == "imported (deepseek)"]
    assert imported and all(r["source"] and r["as_of"] for r in imported)
    assert any(r["origin"] == "hand-written" and r["as_of"] for r in rows)
