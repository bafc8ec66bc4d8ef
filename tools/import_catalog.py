"""Regenerate the imported model catalogs (providers.d/catalogs/*.yaml) from LiteLLM's dataset.

The dataset is LiteLLM's ``model_prices_and_context_window.json`` (a maintained public table of
model facts, https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json;
its fields: https://docs.litellm.ai/docs/completion/token_usage).  The tool reads a local copy
(no network) and writes one catalog file per specwire catalog name::

    python tools/import_catalog.py model_prices_and_context_window.json \\
        --source "LiteLLM 1.110.2 model_prices_and_context_window.json" --as-of 2026-12-07

Mapping (docs/ARCHITECTURE.md section 4, "Imported catalogs"):

* ``litellm_provider`` → catalog name by :data:`CATALOGS` (``dashscope`` → ``alibaba``,
  ``bedrock`` and ``bedrock_converse`` → ``bedrock``, ``azure`` → ``azure-openai`` …); the
  routing prefix of the key (``xai/``, ``gemini/``…) is removed; keys LiteLLM keeps for its own
  routing (a region or deployment segment such as ``azure/eu/…``, ``bedrock/us-east-1/…``, or a
  fine-tune ``ft:…``) are skipped.  Only ``mode: chat`` entries are imported.
* prices: USD per token × 10⁶ → USD per million tokens (``input_cost_per_token`` → ``input``,
  ``output_cost_per_token`` → ``output``, ``cache_read_input_token_cost`` → ``cache_read``,
  ``cache_creation_input_token_cost`` → ``cache_write``, ``…_above_1hr`` → ``cache_write_long``,
  audio and reasoning token prices, ``…_above_<N>k_tokens`` → a tier above N×1000 input tokens).
* ``max_input_tokens`` (else ``max_tokens``) → ``context_window``; ``max_output_tokens``.
* ``supports_function_calling`` → ``tools``, ``supports_vision`` → ``vision``,
  ``supports_reasoning`` → ``reasoning``, ``supports_response_schema`` → ``json_schema``,
  ``supports_pdf_input`` → ``pdf``, ``supports_audio_input`` → ``audio``.
* ``deprecation_date`` → ``deprecated.end_of_life``, ``successor_model`` → ``deprecated.replacement``.
* every entry records ``source`` (the dataset) and ``as_of`` (its date); ``pricing.source`` is the
  vendor page LiteLLM cites, when it cites one.

``--format models.dev`` reads models.dev's ``api.json`` shape instead (https://models.dev,
https://github.com/anomalyco/models.dev: ``{provider: {models: {id: {cost, limit, tool_call,
reasoning, structured_output, attachment, modalities, last_updated}}}}``, prices already USD per
million tokens) for the providers LiteLLM's dataset lacks (:data:`MODELS_DEV_CATALOGS`); a model's
own ``source`` (its file at a commit) and ``last_updated`` win over ``--source``/``--as-of``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "providers.d" / "catalogs"
DATASET_URL = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"

#: catalog name → [(litellm_provider, routing prefixes to strip, ids may contain "/", key must have a prefix)]
CATALOGS: dict[str, list[tuple[str, tuple[str, ...], bool, bool]]] = {
    "openai": [("openai", ("openai/",), False, False)],
    "azure-openai": [("azure", ("azure/",), False, True)],
    "anthropic": [("anthropic", ("anthropic/",), False, False)],
    "vertex-anthropic": [("vertex_ai-anthropic_models", ("vertex_ai/",), False, False)],
    "gemini": [("gemini", ("gemini/",), False, False)],
    "vertex": [("vertex_ai-language-models", ("vertex_ai/",), False, False), ("vertex_ai", ("vertex_ai/",), False, False)],
    "bedrock": [("bedrock", (), False, False), ("bedrock_converse", ("bedrock/",), False, False)],
    "xai": [("xai", ("xai/",), False, False)],
    "deepseek": [("deepseek", ("deepseek/",), False, False)],
    "cohere": [("cohere_chat", ("cohere_chat/",), False, False)],
    "groq": [("groq", ("groq/",), True, True)],
    "mistral": [("mistral", ("mistral/",), False, False)],
    "together": [("together_ai", ("together_ai/",), True, True)],
    "fireworks": [("fireworks_ai", ("fireworks_ai/",), True, True)],
    "alibaba": [("dashscope", ("dashscope/",), False, False)],
    "siliconflow": [("siliconflow", ("siliconflow/",), True, True)],
    "perplexity": [("perplexity", ("perplexity/",), False, False)],
    "cerebras": [("cerebras", ("cerebras/",), False, False)],
    "zai": [("zai", ("zai/",), False, False)],
}

#: models.dev provider id → catalog name (only providers the LiteLLM dataset has no entries for)
MODELS_DEV_CATALOGS = {"siliconflow": "siliconflow"}

CAPABILITIES = {
    "supports_function_calling": "tools",
    "supports_vision": "vision",
    "supports_reasoning": "reasoning",
    "supports_response_schema": "json_schema",
    "supports_pdf_input": "pdf",
    "supports_audio_input": "audio",
}

#: dataset price field → catalog price key (all USD per token in the dataset)
PRICES = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
    "cache_creation_input_token_cost_above_1hr": "cache_write_long",
    "input_cost_per_audio_token": "input_audio",
    "output_cost_per_audio_token": "output_audio",
    "output_cost_per_reasoning_token": "reasoning",
}
_TIER = re.compile(r"^(?P<field>[a-z_]+?)_above_(?P<k>\d+)k_tokens$")


def per_million(value: Any) -> float | None:
    """USD per token → USD per million tokens, rounded to 10 significant digits (float noise)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    out = float(f"{value * 1_000_000:.10g}")
    return int(out) if out.is_integer() else out


def _tokens(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 1 else None


def model_id(key: str, prefixes: tuple[str, ...], allow_slash: bool, need_prefix: bool) -> str | None:
    """The provider's own model id of dataset key ``key``, or ``None`` for a key to skip."""
    if key.startswith("ft:"):
        return None
    for prefix in prefixes:
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    else:
        if need_prefix:
            return None
    if not key or (not allow_slash and "/" in key):
        return None
    return key


def pricing(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The catalog ``pricing`` of one dataset entry (USD per million tokens), or ``None``."""
    out: dict[str, Any] = {}
    for field, key in PRICES.items():
        if (value := per_million(entry.get(field))) is not None:
            out[key] = value
    tiers: dict[int, dict[str, Any]] = {}
    for field, raw in entry.items():
        m = _TIER.match(field)
        if m and m["field"] in PRICES and (value := per_million(raw)) is not None:
            tiers.setdefault(int(m["k"]) * 1000, {})[PRICES[m["field"]]] = value
    if not out:
        return None
    for key in ("input", "output", "cache_read", "cache_write"):
        out.setdefault(key, None)
    if tiers:
        out["tiers"] = [{"above_input_tokens": n, **prices} for n, prices in sorted(tiers.items())]
    if isinstance(entry.get("source"), str) and entry["source"].startswith("https://"):
        out["source"] = entry["source"]
    return out


def convert(entry: dict[str, Any], mid: str, strip: tuple[str, ...], source: str, as_of: str) -> dict[str, Any]:
    """One catalog entry (a ``models:`` item of a spec) from a dataset entry."""
    out: dict[str, Any] = {"id": mid}
    context = _tokens(entry.get("max_input_tokens")) or _tokens(entry.get("max_tokens"))
    if context is not None:
        out["context_window"] = context
    if (max_out := _tokens(entry.get("max_output_tokens"))) is not None:
        out["max_output_tokens"] = max_out
    caps = {name: entry[field] for field, name in CAPABILITIES.items() if isinstance(entry.get(field), bool)}
    if caps:
        out["capabilities"] = caps
    if (prices := pricing(entry)) is not None:
        out["pricing"] = prices
    eol, successor = entry.get("deprecation_date"), entry.get("successor_model")
    if isinstance(eol, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", eol):
        deprecated: dict[str, str] = {"end_of_life": eol}
        if isinstance(successor, str) and successor:
            for prefix in strip:
                successor = successor.removeprefix(prefix)
            deprecated["replacement"] = successor
        out["deprecated"] = deprecated
    out["source"] = source
    out["as_of"] = as_of
    return out


def build(dataset: dict[str, Any], source: str, as_of: str, only: set[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """``{catalog name: [entries sorted by id]}`` from the parsed dataset (chat models only).
    When two keys give the same id (``deepseek-chat`` and ``deepseek/deepseek-chat``), the key
    with the routing prefix wins."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, sources in CATALOGS.items():
        if only is not None and name not in only:
            continue
        chosen: dict[str, tuple[bool, dict[str, Any]]] = {}
        for provider, prefixes, allow_slash, need_prefix in sources:
            for key in sorted(dataset):
                entry = dataset[key]
                if not isinstance(entry, dict) or entry.get("litellm_provider") != provider or entry.get("mode") != "chat":
                    continue
                mid = model_id(key, prefixes, allow_slash, need_prefix)
                if mid is None:
                    continue
                prefixed = mid != key
                if mid in chosen and (chosen[mid][0] or not prefixed):
                    continue
                converted = convert(entry, mid, prefixes, source, as_of)
                if "context_window" not in converted and "pricing" not in converted:
                    continue  # no fact worth a catalog entry (LiteLLM's routing stubs)
                chosen[mid] = (prefixed, converted)
        out[name] = [chosen[k][1] for k in sorted(chosen)]
    return out


def convert_models_dev(entry: dict[str, Any], mid: str, source: str, as_of: str) -> dict[str, Any]:
    """One catalog entry from a models.dev model (prices already USD per million tokens; a
    capability the entry does not state stays unknown)."""
    out: dict[str, Any] = {"id": mid}
    limit = entry.get("limit") if isinstance(entry.get("limit"), dict) else {}
    if (context := _tokens(limit.get("context"))) is not None:
        out["context_window"] = context
    if (max_out := _tokens(limit.get("output"))) is not None:
        out["max_output_tokens"] = max_out
    caps: dict[str, bool] = {}
    for field, name in (("tool_call", "tools"), ("reasoning", "reasoning"), ("structured_output", "json_schema")):
        if isinstance(entry.get(field), bool):
            caps[name] = entry[field]
    inputs = (entry.get("modalities") or {}).get("input") if isinstance(entry.get("modalities"), dict) else None
    if isinstance(inputs, list):
        caps.update({"vision": "image" in inputs, "audio": "audio" in inputs, "pdf": "pdf" in inputs})
    if caps:
        out["capabilities"] = caps
    cost = entry.get("cost") if isinstance(entry.get("cost"), dict) else {}
    prices = {key: value for key, raw in (("input", cost.get("input")), ("output", cost.get("output")),
                                          ("cache_read", cost.get("cache_read", cost.get("cache_input"))), ("cache_write", cost.get("cache_write")))
              if (value := per_million(raw / 1_000_000 if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None)) is not None}
    if prices:
        out["pricing"] = {"input": None, "output": None, "cache_read": None, "cache_write": None, **prices}
    out["source"] = entry["source"] if isinstance(entry.get("source"), str) else source
    last = entry.get("last_updated")
    out["as_of"] = last if isinstance(last, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", last) else as_of
    return out


def build_models_dev(dataset: dict[str, Any], source: str, as_of: str, only: set[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """``{catalog name: [entries sorted by id]}`` from models.dev's ``api.json`` shape."""
    out: dict[str, list[dict[str, Any]]] = {}
    for provider, name in MODELS_DEV_CATALOGS.items():
        if only is not None and name not in only:
            continue
        models = (dataset.get(provider) or {}).get("models") if isinstance(dataset.get(provider), dict) else None
        entries = [convert_models_dev(m, mid, source, as_of) for mid, m in sorted((models or {}).items()) if isinstance(m, dict)]
        out[name] = [e for e in entries if "context_window" in e or "pricing" in e]
    return out


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON scalars are YAML flow scalars


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if value is None:
        return "null"
    return _scalar(value)


def render(name: str, entries: list[dict[str, Any]], source: str, as_of: str, command: str) -> str:
    """The YAML text of one catalog file (a header comment, then one block per entry)."""
    lines = [
        f"# GENERATED by tools/import_catalog.py from {source} ({as_of}); do not edit by hand.",
        f"# Regenerate: {command}",
        "# A spec names this file with `catalog:` (docs/ARCHITECTURE.md section 4); its own `models:` win.",
        f"catalog: {name}",
        f"source: {_scalar(source)}",
        f"as_of: {_scalar(as_of)}",
        "models:" if entries else "models: []",
    ]
    for entry in entries:
        first = True
        for key, value in entry.items():
            if key in ("source", "as_of") and value == {"source": source, "as_of": as_of}[key]:
                continue  # the file's source/as_of apply to every entry that names none
            lead = "  - " if first else "    "
            first = False
            lines.append(f"{lead}{key}: {_flow(value)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", help="a local copy of model_prices_and_context_window.json")
    parser.add_argument("--source", default=DATASET_URL, help="what to record as the entries' source (dataset URL + commit or release)")
    parser.add_argument("--as-of", required=True, help="the dataset's date, YYYY-MM-DD")
    parser.add_argument("--out", default=str(OUT_DIR), help="the folder to write (default providers.d/catalogs)")
    parser.add_argument("--only", action="append", help="write only this catalog (repeatable)")
    parser.add_argument("--format", choices=("litellm", "models.dev"), default="litellm", help="the dataset's shape (default: LiteLLM's)")
    args = parser.parse_args(argv)
    dataset = json.loads(Path(args.dataset).read_text(encoding="utf-8"))
    if not isinstance(dataset, dict):
        print("the dataset must be a JSON object", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    litellm = args.format == "litellm"
    command = (f'python tools/import_catalog.py <{"model_prices_and_context_window" if litellm else "api"}.json> --source "{args.source}" --as-of {args.as_of}'
               + ("" if litellm else " --format models.dev"))
    builder = build if litellm else build_models_dev
    for name, entries in builder(dataset, args.source, args.as_of, set(args.only) if args.only else None).items():
        if not entries:
            print(f"{name}: no chat entries in the dataset; not written", file=sys.stderr)
            continue
        (out / f"{name}.yaml").write_text(render(name, entries, args.source, args.as_of, command), encoding="utf-8")
        print(f"{name}: {len(entries)} models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
