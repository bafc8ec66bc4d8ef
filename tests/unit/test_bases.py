"""Abstract specs: the files of a ``bases/`` folder inside a spec folder (docs/ARCHITECTURE.md section 4).

What this protects: a base is reached only through ``extends: bases/<stem>``.  It is never a
provider (not listed, not callable, no bare names, no key binding of its own); it is linted as a
fragment (its own keys and templates, nothing missing that a spec extending it provides), while a
spec extending it is checked whole.  Bases follow the layer rules of every spec file: a user's
base may not silently replace a built-in one, and a built-in spec never inherits a user's base.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specwire.cli.validate import validate_paths
from specwire.errors import ModelNotFoundError, SpecError
from specwire.key_bindings import may_declare, scan
from specwire.registry import SpecRegistry

BASE = (  # an abstract spec: what a family of APIs shares
    "spec_version: 1\n"
    "base_url: https://api.acme.example/v1\n"
    "env: {api_key: ACME_API_KEY}\n"
    "auth: {scheme: bearer}\n"
    "retry: {statuses: [429, 503]}\n"
)
CHILD = (  # a provider extending it: only what differs
    "spec_version: 1\n"
    "provider: acme-chat\n"
    "extends: bases/acme\n"
    "request: {path: /chat, body: {model: '{{ model }}', messages: '{{ messages }}'}}\n"
    "response: {events: {text: {when: text, emit: text, text: text}}}\n"
    "stream: {framing: sse, events: {text: {when: data.delta, emit: text_delta, delta: data.delta}}}\n"
)


def _folder(tmp_path: Path, base: str = BASE, child: str = CHILD) -> Path:
    (tmp_path / "bases").mkdir(exist_ok=True)
    (tmp_path / "bases" / "acme.yaml").write_text(base, encoding="utf-8")
    (tmp_path / "acme-chat.yaml").write_text(child, encoding="utf-8")
    return tmp_path


def _registry(folder: Path) -> SpecRegistry:
    return SpecRegistry([folder], env={}, user_config=False)


def _rules(issues: list[Any]) -> list[tuple[str, int, str]]:
    return [(Path(i.file).name, i.line, i.rule) for i in issues]


def test_a_spec_extending_a_base_inherits_it(tmp_path: Path) -> None:
    registry = _registry(_folder(tmp_path))
    spec = registry.get("acme-chat")
    assert spec.data["base_url"] == "https://api.acme.example/v1"
    assert spec.data["retry"] == {"statuses": [429, 503]}
    assert registry.lint_file(tmp_path / "acme-chat.yaml").chain == ("acme-chat", "bases/acme")


def test_a_base_is_never_a_provider(tmp_path: Path) -> None:
    registry = _registry(_folder(tmp_path))
    assert "bases/acme" in registry.bases()
    assert not [p for p in registry.providers() if p in ("acme", "bases/acme")]
    for ref in ("bases/acme", "acme"):
        with pytest.raises(ModelNotFoundError):
            registry.get(ref)
    with pytest.raises(ModelNotFoundError):
        registry.resolve("bases/acme:some-model")
    assert registry.credential_binding("ACME_API_KEY") is None  # a user's spec: not a built-in binding


def test_builtin_bases_are_not_providers() -> None:
    registry = SpecRegistry(env={}, user_config=False)
    assert "bases/aws-bedrock" in registry.bases()
    assert "aws-bedrock" not in registry.providers() and not [p for p in registry.providers() if "/" in p]
    with pytest.raises(ModelNotFoundError):
        registry.resolve("aws-bedrock")  # not a bare name either


def test_a_base_is_linted_as_a_fragment(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert validate_paths([str(folder / "bases" / "acme.yaml")], builtin_samples=False) == []
    assert validate_paths([str(folder)], builtin_samples=False) == []  # a folder: its bases/ too


@pytest.mark.parametrize(
    ("line", "rule", "text"),
    [
        (6, "schema", "unknown_key: 1\n"),
        (6, "template", "headers: {x-acme: '{{ nope( }}'}\n"),
        (6, "unknown-framing", "stream: {framing: acme-frames}\n"),
        (6, "abstract-provider", "provider: acme\n"),
    ],
)
def test_a_base_s_own_problems_are_reported(tmp_path: Path, line: int, rule: str, text: str) -> None:
    folder = _folder(tmp_path, base=BASE + text)
    found = _rules(validate_paths([str(folder / "bases" / "acme.yaml")], builtin_samples=False))
    assert ("acme.yaml", line, rule) in found, found


def test_a_spec_extending_a_base_is_checked_whole(tmp_path: Path) -> None:
    child = "\n".join(line for line in CHILD.splitlines() if not line.startswith("response")) + "\n"
    folder = _folder(tmp_path, child=child)
    found = _rules(validate_paths([str(folder / "acme-chat.yaml")], builtin_samples=False))
    assert [r for r in found if r[2] == "schema"], found  # `response` is missing: neither file has it
    with pytest.raises(SpecError):
        _registry(folder).get("acme-chat")


def test_a_broken_base_fails_the_specs_extending_it_once(tmp_path: Path) -> None:
    folder = _folder(tmp_path, base=BASE.replace("scheme: bearer", "scheme: nope"))
    found = _rules(validate_paths([str(folder)], builtin_samples=False))
    assert sorted(found) == [("acme-chat.yaml", 3, "extends-failed"), ("acme.yaml", 4, "unknown-auth-scheme")]
    with pytest.raises(SpecError):
        _registry(folder).get("acme-chat")


def test_unknown_base_is_an_unknown_extends(tmp_path: Path) -> None:
    folder = _folder(tmp_path, child=CHILD.replace("bases/acme", "bases/acmee"))
    issues = validate_paths([str(folder / "acme-chat.yaml")], builtin_samples=False)
    hits = [i for i in issues if i.rule == "unknown-extends"]
    assert hits and "bases/acme" in hits[0].message
    # a base id is a name, not a path
    folder = _folder(tmp_path, child=CHILD.replace("bases/acme", "bases/../acme-chat"))
    assert "unknown-extends" in [r for _, _, r in _rules(validate_paths([str(folder / "acme-chat.yaml")], builtin_samples=False))]


def test_a_base_can_extend_a_base(tmp_path: Path) -> None:
    folder = _folder(tmp_path, base="spec_version: 1\nextends: bases/acme-root\nretry: {statuses: [429, 503]}\n")
    (folder / "bases" / "acme-root.yaml").write_text("spec_version: 1\nbase_url: https://api.acme.example/v1\nauth: {scheme: bearer}\n", encoding="utf-8")
    registry = _registry(folder)
    assert registry.get("acme-chat").data["base_url"] == "https://api.acme.example/v1"
    assert registry.lint_file(folder / "acme-chat.yaml").chain == ("acme-chat", "bases/acme", "bases/acme-root")


def test_a_users_base_does_not_silently_replace_a_builtin_one(tmp_path: Path) -> None:
    (tmp_path / "bases").mkdir()
    path = tmp_path / "bases" / "aws-bedrock.yaml"
    path.write_text("spec_version: 1\nretry: {statuses: [429]}\n", encoding="utf-8")
    assert "builtin-shadowing" in [r for _, _, r in _rules(validate_paths([str(path)], builtin_samples=False))]
    path.write_text("spec_version: 1\noverride: true\nretry: {statuses: [429]}\n", encoding="utf-8")
    registry = _registry(tmp_path)
    # a built-in spec extends from the built-in layer only: the user's base changes nothing there
    assert registry.get("bedrock").data["retry"] == {"statuses": [408, 429, 500, 502, 503, 504]}


def test_key_bindings_follow_extends_into_a_base() -> None:
    specs = {
        "bases/acme": scan(BASE),
        "acme-chat": scan(CHILD),
        "acme-own": scan(CHILD.replace("provider: acme-chat", "provider: acme-own") + "env: {api_key: OWN_KEY}\n"),
    }
    assert may_declare("ACME_API_KEY", specs) == {"bases/acme", "acme-chat"}
    registry = SpecRegistry(env={}, user_config=False)
    assert registry.credential_binding("AWS_BEARER_TOKEN_BEDROCK") is not None  # bedrock* inherit it from the base
