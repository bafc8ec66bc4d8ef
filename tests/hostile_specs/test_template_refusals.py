"""Hostile templates are refused the same way by ``validate-spec`` and by ``specwire.Client``.

What this protects: docs/RELIABILITY.md T1 (the sandbox bounds neither CPU nor memory).  A template such
as ``{{ 'A' * 1000000000 }}`` or ``{{ 10 ** 10 ** 8 }}`` used to pass ``validate-spec`` and be
stopped only when a call rendered it; a linter that passes what the library refuses is worse than
none.  Both paths now run one check (``specwire.render``: ``exponent_refusal``,
``repetition_refusal``), so for each template of the table both refuse with the same rule id, at
the same file and line, and neither sends anything.  The limits are tested at limit-1, limit and
limit+1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specwire import Client, SpecError
from specwire.cli.validate import validate_paths
from specwire.render import MAX_POWER_BITS, MAX_RENDERED_CHARS

SPEC = """\
spec_version: 1
provider: acme
extends: openai
base_url: https://api.acme.example/v1
env: {{api_key: ACME_API_KEY}}
request:
  body:
    model: "{{{{ model }}}}"
    messages: "{{{{ messages }}}}"
    x: {template}
"""
LINE = 10  # the line of `x:`

HOSTILE = [
    "{{ 'A' * 1000000000 }}",
    "{{ 10 ** 10 ** 8 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ 'A' * (10 ** 9) }}",
    "{{ 1000000000 * 'A' }}",
    "{{ [model] * 100000000 }}",
    "{{ ('A' * 1000) * 100000 }}",
    "{{ ('A' * 3000000 + 'A' * 3000000) * 1 }}",
    "x{{ 'A' * 1000000000 }}y",
    "{{ model ~ 'A' * 1000000000 }}",
    "{% set s = 'A' * 1000000000 %}{{ s }}",
    f"{{{{ 'A' * {MAX_RENDERED_CHARS + 1} }}}}",
    f"{{{{ 2 ** {MAX_POWER_BITS // 2 + 1} }}}}",
]
ALLOWED = [
    f"{{{{ 'A' * {MAX_RENDERED_CHARS - 1} }}}}",
    f"{{{{ 'A' * {MAX_RENDERED_CHARS} }}}}",
    f"{{{{ 2 ** {MAX_POWER_BITS // 2 - 1} }}}}",
    f"{{{{ 2 ** {MAX_POWER_BITS // 2} }}}}",
    "{{ 'A' * 3 }}",
    "{{ [model] * 2 }}",
    "{{ 2 ** -1 }}",
]


def _write(tmp_path: Path, template: str) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    path = folder / "acme.yaml"
    path.write_text(SPEC.format(template=json.dumps(template)), encoding="utf-8")
    return path


def _client_error(folder: Path) -> SpecError | None:
    client = Client(spec_paths=[str(folder)], api_keys={"acme": "k"}, env={}, load_entry_points=False)
    try:
        client.build("acme:m", "hi")
    except SpecError as exc:
        return exc
    finally:
        client.close()
    return None


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_template_is_refused_by_validate_spec_and_the_client_alike(template: str, tmp_path: Path) -> None:
    path = _write(tmp_path, template)
    errors = [i for i in validate_paths([str(path)], builtin_samples=False) if i.level == "error"]  # type: ignore[attr-defined]
    assert [(Path(i.file).name, i.line, i.rule) for i in errors] == [("acme.yaml", LINE, "template")], [i.format() for i in errors]  # type: ignore[attr-defined]
    error = _client_error(path.parent)
    assert error is not None, f"the client accepted {template!r}"
    assert (error.rule, Path(error.file or "").name, error.line) == ("template", "acme.yaml", LINE)


def test_hostile_template_is_refused_when_the_spec_loads(tmp_path: Path) -> None:
    """The client's refusal is the load-time one: the registry refuses the spec before any call."""
    path = _write(tmp_path, HOSTILE[0])
    client = Client(spec_paths=[str(path.parent)], env={}, load_entry_points=False)
    try:
        with pytest.raises(SpecError) as info:
            client.registry.get("acme")
    finally:
        client.close()
    assert info.value.rule == "template"


@pytest.mark.parametrize("template", ALLOWED)
def test_templates_within_the_limits_pass_both(template: str, tmp_path: Path) -> None:
    path = _write(tmp_path, template)
    errors = [i.format() for i in validate_paths([str(path)], builtin_samples=False) if i.level == "error"]  # type: ignore[attr-defined]
    assert errors == []
    assert _client_error(path.parent) is None
