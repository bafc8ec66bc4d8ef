"""Every built-in spec in providers.d/ is lint-clean, compiles, and cites its prices.

What this protects: the built-in specs are the examples users copy and the parents their specs
``extends``, so they must pass ``validate-spec`` with no issue at all (not even a warning), load
through the registry, and have every Jinja template and JMESPath expression compile.  The check of
expressions is independent of the compiler's own bookkeeping (which drops an expression that fails
and records a problem): the spec tree is walked and each expression compiled again here, and each
compiled rule must carry every field its YAML has.  Catalog prices must say where they came from
(``pricing.source``) and when (``pricing.as_of``), because a cost computed from an unsourced price
is a guess (docs/ARCHITECTURE.md section 3).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jmespath
import pytest

from specwire.cli.validate import validate_paths
from specwire.registry import SpecRegistry
from specwire.render import compile_expression, compile_tree, expression_variables, template_variables
from specwire.spec.checks import CONTEXTS, check_tree
from specwire.spec.compile import RULE_FIELDS, CompiledSpec, Rule, compile_spec
from specwire.spec.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "providers.d").glob("*.yaml"))
IDS = [p.stem for p in SPECS]
#: the abstract specs (providers.d/bases/): linted as fragments, never providers
BASES = sorted((ROOT / "providers.d" / "bases").glob("*.yaml"))


@pytest.fixture(scope="module")
def registry() -> SpecRegistry:
    return SpecRegistry(env={}, user_config=False)


def test_there_are_builtin_specs() -> None:
    assert {"openai", "anthropic", "gemini"} <= set(IDS)
    assert not list((ROOT / "providers.d").glob("*.yml")), "built-in specs use the .yaml suffix"


# ---------------------------------------------------------------------------- lint and load
@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_lint_clean(path: Path) -> None:
    issues = validate_paths([str(path)])
    assert issues == [], "\n".join(i.format() for i in issues)  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", BASES, ids=[p.stem for p in BASES])
def test_bases_lint_clean_and_are_extended(path: Path, registry: SpecRegistry) -> None:
    issues = validate_paths([str(path)])
    assert issues == [], "\n".join(i.format() for i in issues)  # type: ignore[attr-defined]
    data = load_file(path).data
    assert "provider" not in data and data["spec_version"] == 1
    spec_id = f"bases/{path.stem}"
    assert spec_id in registry.bases() and spec_id not in registry.providers()
    assert [p for p in IDS if load_file(ROOT / "providers.d" / f"{p}.yaml").data.get("extends") == spec_id], "a base nothing extends"


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_yaml_loads_without_issues(path: Path) -> None:
    loaded = load_file(path)
    assert loaded.issues == []
    assert loaded.data["provider"] == path.stem
    assert loaded.data["spec_version"] == 1


def test_registry_loads_builtins_without_warnings(registry: SpecRegistry) -> None:
    assert set(IDS) <= set(registry.providers())
    assert registry.warnings == []


@pytest.mark.parametrize("name", IDS)
def test_compiles_through_the_registry(registry: SpecRegistry, name: str) -> None:
    spec = registry.get(name)
    assert isinstance(spec, CompiledSpec)
    assert spec.provider == name
    assert registry.origin(name)[0] == "builtin"


@pytest.mark.parametrize("name", IDS)
def test_compile_reports_no_problems(registry: SpecRegistry, name: str) -> None:
    data = registry.get(name).data
    _spec, problems = compile_spec(data, name)
    assert problems == []
    spec, issues = check_tree(data, load_file(ROOT / "providers.d" / f"{name}.yaml").source, name)
    assert spec is not None and issues == []


# ---------------------------------------------------------------------------- expressions, independently
def _rules(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for section in ("stream", "response"):
        for name, rule in ((data.get(section) or {}).get("events") or {}).items():
            if rule is None:
                continue
            yield f"{section}.events.{name}", rule
            for i, case in enumerate(rule.get("cases") or ()):
                yield f"{section}.events.{name}.cases.{i}", case


def _jmespath_sources(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for where, rule in _rules(data):
        for key in ("when", "foreach", *RULE_FIELDS):
            if key in rule:
                yield f"{where}.{key}", rule[key]
        for key, expr in (rule.get("set") or {}).items():
            yield f"{where}.set.{key}", expr
    errors = data.get("errors") or {}
    for key in ("message", "code", "type", "param", "request_id", "retry_after"):
        if key in errors:
            yield f"errors.{key}", errors[key]
    for name, rule in (errors.get("classes") or {}).items():
        if rule and "when" in rule:
            yield f"errors.classes.{name}.when", rule["when"]
    for name, value in ((data.get("usage") or {}).get("fields") or {}).items():
        for i, expr in enumerate([value] if isinstance(value, str) else value):
            yield f"usage.fields.{name}.{i}", expr


@pytest.mark.parametrize("name", IDS)
def test_every_jmespath_expression_compiles(registry: SpecRegistry, name: str) -> None:
    sources = list(_jmespath_sources(registry.get(name).data))
    assert sources, "a spec without any JMESPath cannot map a response"
    bad = []
    for where, expr in sources:
        try:
            jmespath.compile(expr)
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            bad.append(f"{where}: {expr!r}: {exc}")
    assert bad == []


def _compiled_rules(spec: CompiledSpec) -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for section, ruleset in (("stream", spec.stream.rules), ("response", spec.response)):
        for rule in ruleset.rules:
            out[f"{section}.events.{rule.name}"] = rule
            for i, case in enumerate(rule.cases):
                out[f"{section}.events.{rule.name}.cases.{i}"] = case
    return out


@pytest.mark.parametrize("name", IDS)
def test_every_rule_field_made_it_into_the_compiled_rule(registry: SpecRegistry, name: str) -> None:
    spec = registry.get(name)
    compiled = _compiled_rules(spec)
    use_stream = bool((spec.data.get("response") or {}).get("use_stream_events"))
    for where, rule in _rules(spec.data):
        if use_stream and where.startswith("response."):
            continue
        got = compiled[where]
        assert {f for f, _ in got.fields} == {f for f in RULE_FIELDS if f in rule}, where
        assert {k for k, _ in got.set} == set(rule.get("set") or {}), where
        assert (got.when is None) == ("when" not in rule), where
        assert (got.foreach is None) == ("foreach" not in rule), where
        assert got.emit == rule.get("emit"), where


def _template_places(data: dict[str, Any]) -> Iterator[tuple[str, Any, set[str], bool]]:
    request = data.get("request") or {}
    stream = data.get("stream") or {}
    into = {r.get("into") for v in (request.get("parts") or {}).values() for r in (v if isinstance(v, list) else [v]) if r.get("into")}
    yield "base_url", data.get("base_url"), CONTEXTS["base_url"], False
    yield "headers", data.get("headers"), CONTEXTS["request"], False
    for key in ("path", "query", "body"):
        yield f"request.{key}", request.get(key), CONTEXTS["request"], False
        yield f"stream.{key}", stream.get(key), CONTEXTS["request"], False
    for mode, conf in (stream.get("modes") or {}).items():
        for key in ("path", "query", "body"):
            yield f"stream.modes.{mode}.{key}", conf.get(key), CONTEXTS["request"], False
    yield "request.message", request.get("message"), CONTEXTS["message"] | into, False
    for role, tree in (request.get("message_by_role") or {}).items():
        yield f"request.message_by_role.{role}", tree, CONTEXTS["message"] | into, False
    yield "request.tool", request.get("tool"), CONTEXTS["tool"], False
    for kind, rules in (request.get("parts") or {}).items():
        for i, rule in enumerate(rules if isinstance(rules, list) else [rules]):
            for key in ("value", "as_message"):
                yield f"request.parts.{kind}.{i}.{key}", rule.get(key), CONTEXTS["part"], False
            yield f"request.parts.{kind}.{i}.when", rule.get("when"), CONTEXTS["part"], True
    param_sets = [("params", data.get("params") or {})]
    param_sets += [(f"profiles.{n}.params", (p or {}).get("params") or {}) for n, p in (data.get("profiles") or {}).items()]
    param_sets += [(f"models.{m['id']}.params", m.get("params") or {}) for m in data.get("models") or ()]
    for base, params in param_sets:
        for pname, value in params.items():
            for i, case in enumerate(value if isinstance(value, list) else [value] if value else []):
                yield f"{base}.{pname}.{i}.when", case.get("when"), CONTEXTS["param"], True
                for key in ("value", "default", "set", "set_default"):
                    yield f"{base}.{pname}.{i}.{key}", case.get(key), CONTEXTS["param"], False


@pytest.mark.parametrize("name", IDS)
def test_every_template_compiles_and_reads_only_its_context(registry: SpecRegistry, name: str) -> None:
    data = registry.get(name).data
    count, bad = 0, []
    for where, tree, allowed, is_expression in _template_places(data):
        if tree is None:
            continue
        try:
            if is_expression:
                compile_expression(str(tree), where)
                names = expression_variables(str(tree))
            else:
                compile_tree(tree, where)
                names = template_variables(tree)
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            bad.append(f"{where}: {exc}")
            continue
        count += 1
        if names - allowed:
            bad.append(f"{where}: reads {sorted(names - allowed)}")
    assert count > (5 if registry.get(name).chat else 0)  # a spec without chat (chat: false) has only its operations
    assert bad == []


# ---------------------------------------------------------------------------- the catalog
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_every_price_has_a_source_and_a_date(path: Path) -> None:
    models = load_file(path).data.get("models") or []
    assert models, f"{path.name} has no model catalog"
    bad = []
    for model in models:
        pricing = model.get("pricing")
        if not pricing:
            bad.append(f"{model['id']}: no pricing block")
            continue
        source, as_of = pricing.get("source"), pricing.get("as_of")
        if not (isinstance(source, str) and source.startswith("https://")):
            bad.append(f"{model['id']}: pricing.source {source!r} is not an https URL")
        if not (isinstance(as_of, str) and _DATE.match(as_of)):
            bad.append(f"{model['id']}: pricing.as_of {as_of!r} is not a quoted YYYY-MM-DD date")
        else:
            datetime.date.fromisoformat(as_of)
    assert bad == []


@pytest.mark.parametrize("name", IDS)
def test_catalog_ids_and_aliases_are_unique(registry: SpecRegistry, name: str) -> None:
    spec = registry.get(name)
    names = [n for m in spec.models for n in (m.id, *m.aliases)]
    assert len(names) == len(set(names))
    assert all(spec.model_info(n) is not None for n in names)
    assert all(m.pricing is not None and m.pricing.source and m.pricing.as_of for m in spec.models if m.catalog is None)
    assert all(m.source and m.as_of and (m.pricing is None or m.pricing.as_of) for m in spec.models if m.catalog is not None)
