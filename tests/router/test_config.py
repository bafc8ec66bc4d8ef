"""The router config as data: JSON Schema (schemas/router-config.schema.json), YAML traps,
semantic checks, ``line:col`` positions, and the ``validate-spec`` entry point
(:func:`lint_router_config`).

What this protects: a broken config is refused before any call with every problem located
(``file:line:col``, rule ``router-*``), unknown keys are errors with a did-you-mean, references
resolve, secrets never sit in the config, and a config the schema accepts loads into the
documented defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from specwire import SpecError
from specwire.router import is_router_config, lint_router_config, load_router_config, router_schema

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def lint(tmp_path: Path, registry: Any, text: str) -> list[Any]:
    path = tmp_path / "router.yaml"
    path.write_text(text, encoding="utf-8")
    return lint_router_config(path, registry=registry)


def test_the_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads((ROOT / "schemas" / "router-config.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == router_schema() and schema["additionalProperties"] is False


def test_defaults(registry: Any) -> None:
    cfg = load_router_config({"router": {}, "deployments": [{"id": "a", "provider": "openai", "model": "gpt-5.4"}]}, registry=registry)
    assert (cfg.strategy, cfg.unknown_models, cfg.retry.retries, cfg.timeout.total) == ("round-robin", "passthrough", 3, None)
    assert (cfg.health.consecutive_failures, cfg.health.cooldown, cfg.health.probe.enabled) == (3, 30.0, False)
    assert (cfg.rate_limit.mode, cfg.rate_limit.chars_per_token, cfg.cache.enabled, cfg.cache.backend, cfg.state.backend) == ("wait", 4.0, False, "memory", "memory")
    assert cfg.fallback_on == ("RateLimitError", "ServerError", "APITimeoutError", "TransportError", "StreamError")


def test_unknown_keys_are_errors_with_position_and_suggestion(tmp_path: Path, registry: Any) -> None:
    issues = lint(tmp_path, registry, "router:\n  stratgy: random\ndeployments:\n  - id: a\n    provider: openai\n    model: gpt-5.4\n    wieght: 2\n")
    found = {(i.line, i.col, i.rule, i.message) for i in issues}
    assert (2, 3, "router-schema", "unknown key 'stratgy' (did you mean 'strategy'?)") in found
    assert (7, 5, "router-schema", "unknown key 'wieght' (did you mean 'weight'?)") in found


def test_yaml_traps_are_caught(tmp_path: Path, registry: Any) -> None:
    issues = lint(tmp_path, registry, "router: {}\ndeployments:\n  - id: a\n    provider: openai\n    model: gpt-5.4\n    id: b\ncache: {enabled: yes}\n")
    rules = {(i.line, i.rule) for i in issues}
    assert (6, "duplicate-key") in rules and (7, "yaml-truthy") in rules


def test_schema_values_are_checked(tmp_path: Path, registry: Any) -> None:
    text = (
        "router: {strategy: fastest, retry: {retries: -1}}\n"
        "deployments:\n"
        "  - {id: a, provider: openai, model: gpt-5.4, rpm: 0, base_url: 'ftp://x', api_key_env: 'not a var'}\n"
        "state: {backend: redis, url: 'redis://:hunter2@cache:6379/0'}\n"
    )
    issues = lint(tmp_path, registry, text)
    paths = {i.path for i in issues if i.rule == "router-schema"}
    assert {"router.strategy", "router.retry.retries", "deployments.0.rpm", "deployments.0.base_url", "deployments.0.api_key_env", "state.url"} <= paths
    assert all(i.line >= 1 and i.col >= 1 for i in issues)


def test_semantic_checks(tmp_path: Path, registry: Any) -> None:
    text = """\
router: {}
deployments:
  - {id: a, provider: opnai, model: gpt-5.4}
  - {id: a, provider: openai, model: gpt-5.4}
  - {id: b, model: no-such-model-anywhere}
  - {id: c, provider: openai, model: gpt-5.4, api_key_env: AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvWx}
  - {id: d, provider: openai, model: gpt-5.4, options: {api_key: sk-live-123}}
groups:
  chat: {deployments: [a, nope], fallbacks: [chat, missing], context_window_fallbacks: [d]}
  empty: {tags: [none-has-this]}
aliases: {x: y, y: x, z: unknown}
routes:
  - {regex: "gpt-(", to: chat}
  - {match: "*", to: ghost}
cache: {backend: sqlite}
"""
    issues = lint(tmp_path, registry, text)
    got = {(i.rule, i.path) for i in issues}
    expected = {
        ("router-unknown-provider", "deployments.0.provider"),
        ("router-duplicate", "deployments.1.id"),
        ("router-model", "deployments.2.model"),
        ("router-secret", "deployments.3.api_key_env"),
        ("router-secret", "deployments.4.options.api_key"),
        ("router-unknown-ref", "groups.chat.deployments.1"),
        ("router-self-fallback", "groups.chat.fallbacks.0"),
        ("router-unknown-ref", "groups.chat.fallbacks.1"),
        ("router-empty-group", "groups.empty"),
        ("router-alias-cycle", "aliases.x"),
        ("router-unknown-ref", "aliases.z"),
        ("router-regex", "routes.0.regex"),
        ("router-unknown-ref", "routes.1.to"),
        ("router-cache", "cache.backend"),
    }
    assert expected <= got, expected - got
    by_rule = {i.rule: i for i in issues}
    assert "did you mean 'openai'" in by_rule["router-unknown-provider"].message
    assert "no-such-model-anywhere" in by_rule["router-model"].message  # a tie of catalogs: tests/models/test_router_agreement.py
    assert by_rule["router-duplicate"].line == 4
    assert "AIza" not in "".join(i.message for i in issues), "a key found in the config is never echoed"


def test_context_window_fallback_should_be_larger(tmp_path: Path, registry: Any) -> None:
    text = """\
router: {}
deployments:
  - {id: long, provider: openai, model: gpt-5.5}
  - {id: short, provider: anthropic, model: claude-haiku-4-5}
groups:
  g: {deployments: [long], context_window_fallbacks: [short]}
"""
    issues = lint(tmp_path, registry, text)
    warning = next(i for i in issues if i.rule == "router-context-window")
    assert warning.level == "warning" and "200000" in warning.message and "1050000" in warning.message


def test_load_raises_with_every_issue(tmp_path: Path, registry: Any) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("router: {}\ndeployments:\n  - {id: a, provider: openai, model: gpt-5.4}\ngroups:\n  g: {deployments: [b]}\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_router_config(path, registry=registry)
    assert (info.value.line, info.value.rule) == (5, "router-unknown-ref") and str(path) in str(info.value)
    with pytest.raises(SpecError, match="deployments"):
        load_router_config({"router": {}}, registry=registry)


def test_is_router_config(tmp_path: Path) -> None:
    assert is_router_config({"router": {}})
    assert is_router_config(HERE / "readme_example.yaml")
    assert not is_router_config(ROOT / "providers.d" / "openai.yaml")


def test_the_readme_example_lints_clean(registry: Any) -> None:
    issues = lint_router_config(HERE / "readme_example.yaml", registry=registry)
    assert [i.format() for i in issues] == []


def test_the_package_and_its_schema_ship() -> None:
    """pyproject lists specwire.router and the redis extra; the schema is package data."""
    import tomllib
    from importlib.resources import files

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "specwire.router" in project["tool"]["setuptools"]["packages"]
    assert project["project"]["optional-dependencies"]["redis"] == ["redis>=5"]
    assert files("specwire.schemas").joinpath("router-config.schema.json").is_file()
