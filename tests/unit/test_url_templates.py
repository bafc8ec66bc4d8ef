"""URL templates (engine/urls.py): literal text is structure, every ``{{ value }}`` is data placed
for where it lands: a path segment (percent-encoded), a host label (validated), a query value
(encoded); values in the scheme or fragment, ``.``/``..`` segments and a path that does not begin
with ``/`` are refused.  Pure: no client, no spec."""

from __future__ import annotations

from typing import Any

import pytest

from specwire.render import TemplateFailure
from specwire.urls import compile_url


def path(source: str, **ctx: Any) -> str:
    return compile_url(source, "path").render(ctx)


def base(source: str, **ctx: Any) -> str:
    return compile_url(source, "base_url").render(ctx)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gemini-3.5-flash", "/models/gemini-3.5-flash:go"),
        ("../../evil", "/models/..%2F..%2Fevil:go"),
        ("x?key=leak&a=", "/models/x%3Fkey%3Dleak%26a%3D:go"),
        ("x#frag", "/models/x%23frag:go"),
        ("%2e%2e", "/models/%252e%252e:go"),
        ("a\r\nb c", "/models/a%0D%0Ab%20c:go"),
        ("claude@2025", "/models/claude@2025:go"),
        ("anthropic.claude-v1:0", "/models/anthropic.claude-v1%3A0:go"),
    ],
)
def test_a_path_value_is_one_segment(model: str, expected: str) -> None:
    assert path("/models/{{ model }}:go", model=model) == expected


@pytest.mark.parametrize("value", [".", "..", "a/..", "a/./b"])
def test_dot_segments_refused(value: str) -> None:
    with pytest.raises(TemplateFailure, match="segment"):
        path("/d/{{ value }}/x", value=value) if "/" not in value else path("/d/{% for s in value.split('/') %}{{ s }}{% if not loop.last %}/{% endif %}{% endfor %}/x", value=value)


def test_a_resource_name_keeps_its_slashes_when_the_template_splits_it() -> None:
    tpl = "/v1/{% for s in model.split('/') %}{{ s }}{% if not loop.last %}/{% endif %}{% endfor %}:go"
    assert path(tpl, model="publishers/google/models/x") == "/v1/publishers/google/models/x:go"
    assert path(tpl, model="publishers/g?x/models/y") == "/v1/publishers/g%3Fx/models/y:go"


def test_query_values_encoded_for_the_query() -> None:
    assert path("/x?alt={{ v }}", v="sse&key=1") == "/x?alt=sse%26key%3D1"


@pytest.mark.parametrize("value", ["us-east-1", "aiplatform.us.rep", "x1"])
def test_host_labels_accepted(value: str) -> None:
    assert base("https://svc.{{ v }}.example.com/v1", v=value) == f"https://svc.{value}.example.com/v1"


@pytest.mark.parametrize("value", ["evil.com/x", "evil.com#", "a?b", "a@b", "a b", "", "-x", "x-", "a..b", ".a", "a\\b", "é"])
def test_host_values_that_are_not_labels_refused(value: str) -> None:
    with pytest.raises(TemplateFailure, match="host"):
        base("https://svc.{{ v }}.example.com/v1", v=value)


def test_values_in_the_base_path_are_segments() -> None:
    assert base("https://h.example.com/{{ v }}/x", v="a/b") == "https://h.example.com/a%2Fb/x"


@pytest.mark.parametrize(("kind", "source"), [("base_url", "{{ v }}://h/x"), ("path", "/x#{{ v }}"), ("base_url", "https://h/x#{{ v }}")])
def test_values_in_scheme_or_fragment_refused(kind: str, source: str) -> None:
    with pytest.raises(TemplateFailure):
        compile_url(source, kind).render({"v": "https"})


def test_a_path_must_begin_with_a_literal_slash() -> None:
    with pytest.raises(TemplateFailure, match="begin"):
        path("{{ v }}/x", v="evil.example")  # refused when compiled
    with pytest.raises(TemplateFailure, match="begin"):
        path("{% if v %}{{ v }}{% endif %}/x", v="evil.example")  # and when rendered
    assert path("") == "" and path("/plain") == "/plain"


def test_nul_in_template_text_refused_and_missing_names_fail() -> None:
    with pytest.raises(TemplateFailure):
        compile_url("/a\x00{{ v }}", "path")
    with pytest.raises(TemplateFailure, match="undefined"):
        path("/a/{{ missing }}")


def test_sandbox_refusals_apply() -> None:
    with pytest.raises(TemplateFailure):
        compile_url("/{{ model.__class__ }}", "path")
