"""Load only what is used (docs/ARCHITECTURE.md section 9.7, "Loading is lazy").

What this protects: ``from specwire import Client`` and a first call cost what they use.  Importing
the client loads no JSON-schema validator and no terminal renderer; building a request for one
provider compiles that provider's spec only; the first call that reads an API key from the
environment learns the key's binding from the built-in specs that declare it, not by merging every
spec; and a model id missing from the catalog gets its did-you-mean once per (spec, model).

The key bindings are narrowed from the specs' text (:mod:`specwire.key_bindings`); the narrowing
must never drop a spec that declares the variable, so every variable of every built-in spec is
checked here against the compiled specs themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

import specwire
from specwire import model_refs
from specwire.binding import host_pattern
from specwire.key_bindings import SpecText, may_declare, scan
from specwire.registry import SpecRegistry
from specwire.spec.files import compile_trusted
from specwire.spec.issues import SourceMap


def _builtin() -> SpecRegistry:
    return SpecRegistry(env={}, user_config=False)


# ---------------------------------------------------------------------------- imports
def test_importing_the_client_loads_no_jsonschema_or_rich() -> None:
    # httpx itself imports rich when its optional CLI dependencies are installed: what counts is
    # what specwire adds on top of httpx
    code = (
        "import json, sys, httpx; before = set(sys.modules); from specwire import Client; "
        "print(json.dumps(sorted(m for m in ('jsonschema', 'rich') if m in sys.modules and m not in before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == []


# ---------------------------------------------------------------------------- compile on first use
def test_building_for_one_provider_compiles_only_its_spec() -> None:
    registry = _builtin()
    client = specwire.Client(registry=registry, api_keys={"openai": "k"}, load_entry_points=False)
    client.build("openai:gpt-5.5", "hi")
    assert sorted(registry._cache) == ["openai"]  # pyright: ignore[reportPrivateUsage]


def test_a_provider_alias_compiles_only_the_spec_it_names() -> None:
    registry = _builtin()
    spec, model, _ = registry.resolve("google:gemini-2.5-flash")  # gemini's alias
    assert (spec.provider, model) == ("gemini", "gemini-2.5-flash")
    assert sorted(registry._cache) == ["gemini"]  # pyright: ignore[reportPrivateUsage]
    full = _builtin()
    assert registry.aliases() == {a: p for p in full.providers() for a in full.get(p).data.get("provider_aliases") or ()}


def test_a_first_call_with_an_environment_key_merges_only_the_specs_declaring_it(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = _builtin()
    merged: list[str] = []
    merge = registry._merge  # pyright: ignore[reportPrivateUsage]

    def counting(entry: Any, stack: tuple[str, ...]) -> Any:
        merged.append(entry.provider)
        return merge(entry, stack)

    monkeypatch.setattr(registry, "_merge", counting)

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "no", "type": "invalid_request_error"}})

    with specwire.Client(registry=registry, env={"OPENAI_API_KEY": "k"}, transport=httpx.MockTransport(refuse), max_retries=0, load_entry_points=False) as client:
        with pytest.raises(specwire.AuthenticationError):
            client.complete("openai:gpt-5.5", "hi")
    assert sorted(registry._cache) == ["openai"]  # pyright: ignore[reportPrivateUsage]
    full = _builtin()
    declaring = {p for p in full.providers() if "OPENAI_API_KEY" in _keys(full.get(p).data)}
    ancestors = {"openai"} | {full.get(p).data.get("extends") for p in declaring} - {None}
    assert "openai" in declaring
    assert set(merged) <= declaring | ancestors, "the binding merged specs that cannot declare the key"
    assert len(set(merged)) < len(full.providers()) // 2


def _keys(data: Any) -> tuple[str, ...]:
    keys = (data.get("env") or {}).get("api_key") or ()
    return (keys,) if isinstance(keys, str) else tuple(keys)


# ---------------------------------------------------------------------------- key bindings
def test_every_builtin_key_binding_matches_the_compiled_specs() -> None:
    full = _builtin()
    expected: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for provider in full.providers():
        data = full.get(provider).data
        env = data.get("env") or {}
        urls = env.get("base_url") or ()
        pattern = host_pattern(str(data.get("base_url", "")))
        for var in _keys(data):
            if pattern:
                expected.setdefault(var, []).append((pattern, (urls,) if isinstance(urls, str) else tuple(urls)))
    assert "OPENAI_API_KEY" in expected and "AZURE_OPENAI_API_KEY" in expected
    for var, binding in expected.items():
        got = _builtin().credential_binding(var)  # a fresh registry: nothing learnt before
        assert got is not None and sorted(got) == sorted(binding), var
    assert _builtin().credential_binding("MY_OWN_API_KEY") is None


def test_may_declare_follows_extends_and_stops_at_an_own_env() -> None:
    specs = {
        "base": scan("provider: base\nenv:\n  api_key: BASE_API_KEY\n"),
        "child": scan("provider: child\nextends: base\n"),  # inherits env
        "grandchild": scan("provider: grandchild\nextends: 'child'  # a comment\n"),
        "own": scan("provider: own\nextends: base\nenv:\n  api_key: OWN_API_KEY\n"),  # env replaced whole
        "other": scan("provider: other\nenv: {api_key: OTHER_BASE_API_KEY}\n"),  # a longer name is not the name
    }
    assert may_declare("BASE_API_KEY", specs) == {"base", "child", "grandchild"}
    assert may_declare("OWN_API_KEY", specs) == {"own"}
    assert may_declare("NOBODY_API_KEY", specs) == set()


def test_may_declare_counts_an_unreadable_extends_as_inheriting() -> None:
    flow = scan("{provider: flow, extends: base}\n")  # not block style: the parent cannot be read
    assert flow.unsure and flow.extends is None
    specs = {"base": scan("provider: base\nenv:\n  api_key: BASE_API_KEY\n"), "flow": flow}
    assert may_declare("BASE_API_KEY", specs) == {"base", "flow"}
    loop = {"a": SpecText("extends: b", "b", False, False), "b": SpecText("extends: a", "a", False, False)}
    assert may_declare("X_API_KEY", loop) == {"a", "b"}  # a cycle is left to the merge to report


# ---------------------------------------------------------------------------- trusted compile
def test_trusted_compile_gives_up_when_the_compiler_finds_a_problem() -> None:
    # (a built-in spec is compiled this way on the call path; tests/providers/test_specs_lint_clean.py
    # runs the full checks on each, and the registry runs them when the compiler gives up)
    assert compile_trusted({"provider": "x", "base_url": "https://{{ nope(", "request": {}}, SourceMap(), "x.yaml") is None


# ---------------------------------------------------------------------------- model warnings
def test_unknown_model_warnings_are_remembered_per_spec_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _builtin().get("openai")
    calls: list[str] = []
    real = model_refs.did_you_mean

    def counting(name: str, candidates: Any, **kwargs: Any) -> str:
        calls.append(name)
        return real(name, candidates, **kwargs)

    monkeypatch.setattr(model_refs, "did_you_mean", counting)
    monkeypatch.setattr(model_refs, "_WARNINGS", {})
    first = model_refs.model_warnings(spec, "gpt-5.5-typo")
    second = model_refs.model_warnings(spec, "gpt-5.5-typo")
    assert [w.kind for w in first] == ["unknown-model"] and first == second and first is not second
    assert calls == ["gpt-5.5-typo"]
    monkeypatch.setattr(model_refs, "MAX_REMEMBERED", 3)
    for i in range(10):
        model_refs.model_warnings(spec, f"unknown-{i}")
    assert len(model_refs._WARNINGS) <= 3  # pyright: ignore[reportPrivateUsage]
