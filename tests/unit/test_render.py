"""Unit tests for :mod:`specwire.render` (sandboxed Jinja over YAML trees).

What this protects: the template contract of docs/ARCHITECTURE.md section 4 and docs/ARCHITECTURE.md section 9.5 (a leaf that is
exactly ``{{ expr }}`` keeps its native type, mixed text renders as ``str``, ``omit`` drops keys and
list items and empties a mapping whose keys were all omitted, a misspelt name is an error and
never a silent ``None``) and the sandbox controls of docs/RELIABILITY.md T1 (SSTI payloads, no
``{% include %}`` file reads, capped ``range`` and rendered size), which must turn into
:class:`TemplateFailure` rather than any other exception.

Why unit tests and not replay tests: the shipped specs are well behaved, so recorded traffic never
renders a hostile template, a typo, or an ``omit`` in every position; those paths only run when a
crafted template is compiled and rendered directly.
"""

from __future__ import annotations

import pytest

from specwire.render import (
    MAX_RANGE,
    MAX_RENDERED_CHARS,
    OMIT,
    TemplateFailure,
    compile_expression,
    compile_tree,
    expression_variables,
    template_variables,
)


def render(tree, ctx=None, where: str = ""):
    return compile_tree(tree, where).render(ctx or {})


# --------------------------------------------------------------------------- native types vs text
@pytest.mark.parametrize(
    ("value", "expected_type"),
    [([1, {"a": 2}], list), ({"k": [1]}, dict), (True, bool), (None, type(None)), (3, int), (2.5, float), ("s", str)],
)
def test_whole_expression_leaf_keeps_native_type(value: object, expected_type: type) -> None:
    out = render({"v": "{{ x }}"}, {"x": value})
    assert out == {"v": value}
    assert type(out["v"]) is expected_type


def test_whole_expression_tolerates_surrounding_whitespace() -> None:
    assert render("  {{ x }}  ", {"x": [1]}) == [1]


def test_literal_expressions_are_native() -> None:
    assert render("{{ true }}") is True
    assert render("{{ {'a': 1} }}") == {"a": 1}
    assert render("{{ [1, 2] | length }}") == 2


def test_mixed_text_renders_as_str() -> None:
    out = render({"a": "n={{ x }}", "b": "{{ x }}{{ y }}", "c": "{{ x }} "}, {"x": 1, "y": 2})
    assert out == {"a": "n=1", "b": "12", "c": 1}  # "c" is a whole expression plus whitespace
    assert type(out["a"]) is str and type(out["b"]) is str


def test_mixed_text_with_a_list_renders_its_text_form() -> None:
    assert render("x={{ v }}", {"v": [1, 2]}) == "x=[1, 2]"


def test_constants_pass_through_unchanged_and_are_marked_constant() -> None:
    tree = {"a": 1, "b": ["x", {"c": None}], "d": "no braces"}
    compiled = compile_tree(tree)
    assert compiled.is_constant
    assert compiled.render({}) == tree
    assert not compile_tree({"a": "{{ x }}"}).is_constant


def test_statement_block_renders_as_text() -> None:
    assert render("{% for i in xs %}{{ i }},{% endfor %}", {"xs": [1, 2]}) == "1,2,"


# --------------------------------------------------------------------------- omit
def test_omit_drops_a_key() -> None:
    assert render({"a": "{{ x }}", "tools": "{{ tools or omit }}"}, {"x": 1, "tools": []}) == {"a": 1}
    assert render({"a": "{{ x }}", "tools": "{{ tools or omit }}"}, {"x": 1, "tools": [1]}) == {"a": 1, "tools": [1]}


def test_omit_drops_list_items() -> None:
    assert render(["{{ omit }}", 1, "{{ x }}", "{{ x if x > 5 else omit }}"], {"x": 3}) == [1, 3]


def test_mapping_whose_keys_were_all_omitted_is_omitted() -> None:
    tree = {"systemInstruction": {"parts": "{{ system_parts or omit }}"}, "contents": "{{ c }}"}
    assert render(tree, {"system_parts": None, "c": []}) == {"contents": []}
    assert render(tree, {"system_parts": [{"text": "s"}], "c": []}) == {"systemInstruction": {"parts": [{"text": "s"}]}, "contents": []}


def test_omission_propagates_through_nested_mappings_and_lists() -> None:
    tree = {"a": {"b": {"c": "{{ omit }}"}}, "l": [{"x": "{{ omit }}"}, 2], "k": 1}
    assert render(tree) == {"l": [2], "k": 1}


def test_whole_tree_omitted_returns_omit() -> None:
    assert render({"a": "{{ omit }}"}) is OMIT
    assert render("{{ omit }}") is OMIT


def test_an_empty_constant_mapping_is_kept() -> None:
    assert render({"a": {}, "b": "{{ omit }}"}) == {"a": {}}
    assert render({"a": {"b": "{{ omit }}", "c": {}}}) == {"a": {"c": {}}}


def test_omit_is_falsy_and_prints_as_omit() -> None:
    assert not OMIT
    assert repr(OMIT) == "omit"


# --------------------------------------------------------------------------- StrictUndefined
def test_misspelt_name_in_whole_expression_is_an_error_not_none() -> None:
    compiled = compile_tree({"model": "{{ modle }}"}, "request.body")
    with pytest.raises(TemplateFailure) as info:
        compiled.render({"model": "gpt"})
    assert "modle" in str(info.value)
    assert info.value.where == "request.body.model"


def test_misspelt_name_in_text_is_an_error() -> None:
    with pytest.raises(TemplateFailure, match="modle"):
        render("model={{ modle }}", {"model": "gpt"})


def test_missing_attribute_of_a_mapping_is_an_error() -> None:
    with pytest.raises(TemplateFailure):
        render("{{ part.txet }}", {"part": {"text": "x"}})


def test_present_none_attribute_is_none_not_an_error() -> None:
    assert render("{{ part.text }}", {"part": {"text": None}}) is None


def test_compile_expression_does_not_turn_undefined_into_none() -> None:
    # jinja2's compile_expression defaults to undefined_to_none=True; the engine must not.
    expr = compile_expression("value.tpye == 'tool'", "params.tool_choice.when")
    assert expr.render({"value": {"type": "tool", "tpye": "tool"}}) is True
    with pytest.raises(TemplateFailure) as info:
        compile_expression("valeu", "params.x.when").render({"value": 1})
    assert "valeu" in str(info.value)
    assert info.value.where == "params.x.when"


def test_compile_expression_evaluates_with_native_result() -> None:
    assert compile_expression("a + b").render({"a": 1, "b": 2}) == 3
    assert compile_expression("x is not none").render({"x": None}) is False


def test_syntax_errors_fail_at_compile_time_with_location() -> None:
    with pytest.raises(TemplateFailure) as info:
        compile_tree({"a": {"b": "{% if %}"}}, "request.body")
    assert info.value.where == "request.body.a.b"
    with pytest.raises(TemplateFailure):
        compile_tree("{{ x ")
    with pytest.raises(TemplateFailure):
        compile_expression("a ==")


# --------------------------------------------------------------------------- sandbox
SSTI_PAYLOADS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ x.__class__.__base__.__subclasses__() }}",
    "{{ x.__init__.__globals__ }}",
    "{{ x|attr('__class__') }}",
    "{{ '{0.__class__}'.format(x) }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].system('id') }}",
    "{{ self._TemplateReference__context }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ config }}",
    "{{ env }}",
    "{{ request.application }}",
    "{{ xs.append(1) }}",
    "{{ d.update({'a': 1}) }}",
    "{{ d.clear() }}",
    "{{ xs.pop() }}",
]


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
@pytest.mark.parametrize("as_text", [False, True], ids=["expression", "text"])
def test_ssti_payloads_raise_template_failure(payload: str, as_text: bool) -> None:
    ctx = {"x": 1, "xs": [1, 2], "d": {"k": "v"}}
    template = ("prefix " + payload) if as_text else payload
    with pytest.raises(TemplateFailure):
        render({"body": template}, ctx)
    assert ctx == {"x": 1, "xs": [1, 2], "d": {"k": "v"}}  # nothing was mutated


@pytest.mark.parametrize(
    "template",
    ["{% include '/etc/passwd' %}", "{% import '/etc/passwd' as p %}", "{% extends '/etc/passwd' %}", "{% from 'x' import y %}"],
)
def test_template_file_access_is_impossible_without_a_loader(template: str) -> None:
    with pytest.raises(TemplateFailure) as info:
        render(template)
    assert "root:" not in str(info.value)


def test_range_is_capped() -> None:
    with pytest.raises(TemplateFailure, match="range"):
        render("{{ range(10**6) | list | length }}")
    with pytest.raises(TemplateFailure, match="range"):
        render("{% for i in range(10**6) %}x{% endfor %}")
    assert render("{{ range(%d) | list | length }}" % MAX_RANGE) == MAX_RANGE


def test_rendered_text_is_capped() -> None:
    with pytest.raises(TemplateFailure, match="too large"):
        render("{% for i in range(1000) %}{{ 'x' * 10000 }}{% endfor %}")


def test_rendered_value_is_capped() -> None:
    with pytest.raises(TemplateFailure, match="too large"):
        render("{{ 'x' * n }}", {"n": MAX_RENDERED_CHARS + 1})


@pytest.mark.parametrize("template", ["{{ 'x' * 10**20 }}", "a{{ 'x' * 10**20 }}", "{{ [0] * 10**20 }}"])
def test_oversized_repetition_is_a_template_failure(template: str) -> None:
    # 10**20 does not fit an index-sized integer: CPython raises OverflowError *before* allocating
    # anything, so this is a safe probe of the error contract (render raises TemplateFailure only).
    with pytest.raises(TemplateFailure):
        render(template)


def test_the_context_has_no_builtins_beyond_omit_and_range() -> None:
    for name in ("dict", "namespace", "lipsum", "cycler", "joiner", "open", "__import__"):
        with pytest.raises(TemplateFailure):
            render("{{ %s }}" % name)


# --------------------------------------------------------------------------- variables
def test_template_variables_lists_names_read_from_the_context() -> None:
    tree = {
        "model": "{{ model }}",
        "n": ["x {{ messages | length }}", {"deep": "{% for m in msgs %}{{ m }}{{ loop.index }}{% endfor %}"}],
        "const": 3,
        "plain": "no template",
    }
    assert template_variables(tree) == {"model", "messages", "msgs"}


def test_template_variables_of_a_constant_tree_is_empty() -> None:
    assert template_variables({"a": [1, "b"], "c": None}) == set()


def test_expression_variables() -> None:
    assert expression_variables("part.url and meta.signature or value.x == 'y'") == {"part", "meta", "value"}
    assert expression_variables("'literal'") == set()
    assert expression_variables("x | default(y)") == {"x", "y"}


# --------------------------------------------------------------------------- load-time refusals (T1)
@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{{ x|attr('__class__') }}", "'__class__'"),
        ('{{ x|attr("\\x5f\\x5fclass\\x5f\\x5f") }}', "'__class__'"),  # the lexer decodes the escapes
        ("{{ x|attr('_' ~ '_class__') }}", "constant attribute name"),
        ("{{ x|attr(name) }}", "constant attribute name"),
        ("{{ xs|map(attribute='__class__')|list }}", "'__class__'"),
        ("{{ xs|selectattr('a.__class__')|list }}", "'__class__'"),
        ("{{ x.__class__.__mro__ }}", "'__class__', '__mro__'"),
        ("{{ '{0.__class__}'.format(x) }}", "format"),
        ("{{ '{a}'.format_map(d) }}", "format_map"),
        ("{{ (s|attr('format'))(x) }}", "format"),
        ("{{ s['format'](x) }}", "format"),
        ("{{ xs.append(1) }}", "append"),
        ("x{{ d.update({'a': 1}) }}", "update"),
        ("{{ d.setdefault('a', 1) }}", "setdefault"),
        ("{{ xs.sort() }}", "sort"),
        ("{% for i in range(10**5) %}x{% endfor %}", "range"),
        ("{{ range(-5, 10**4 * 2, 3) | list }}", "range"),
        ("{{ range(2**300) | list }}", "exponent"),
        ("{% for i in range(1000) %}{% for j in range(2) %}x{% endfor %}{% endfor %}", "nested loops"),
        ("{% set r = range(100) %}{% for i in r %}{% for j in r %}x{% endfor %}{% endfor %}", "nested loops"),
        ("{% for i in [0] * 50 %}{% for j in 'abcdefghijklmnopqrstu' %}x{% endfor %}{% endfor %}", "nested loops"),
        ("{% for i in range(3) recursive %}{{ loop(range(3)) }}{% endfor %}", "recursive"),
    ],
)
def test_unsafe_constructs_are_refused_at_compile_time(template: str, fragment: str) -> None:
    with pytest.raises(TemplateFailure) as info:
        compile_tree({"x": template}, "request.body")
    assert fragment in info.value.detail
    assert info.value.path == ("x",)


@pytest.mark.parametrize(
    "template",
    [
        "{{ part.format }}",  # reading a key that shares a method's name is fine
        "{{ d.update }}",
        "{{ '%s-%s'|format(a, b) }}",
        "{{ s.replace('_', '-') }}",
        "{{ xs|rejectattr('type', 'equalto', '_x')|list }}",
        "{% for i in range(" + str(MAX_RANGE) + ") %}x{% endfor %}",
        "{% for i in range(10) %}{% for j in range(100) %}x{% endfor %}{% endfor %}",
        "{% for m in messages %}{% for i in range(1000) %}x{% endfor %}{% endfor %}",
    ],
)
def test_ordinary_constructs_still_compile(template: str) -> None:
    compile_tree({"x": template})


def test_compile_failures_carry_the_full_key_path() -> None:
    with pytest.raises(TemplateFailure) as info:
        compile_tree({"a": ["{{ x.__class__ }}"]}, "request.body", ("request", "body"))
    assert info.value.path == ("request", "body", "a", 0)


# --------------------------------------------------------------------------- render-time caps (T1)
def test_render_stops_at_the_size_cap() -> None:
    pulled = 0

    def items():  # 10**6 iterations of 100 characters would be 100 MB
        nonlocal pulled
        for i in range(10**6):
            pulled += 1
            yield i

    tree = compile_tree({"x": "{% for i in xs %}{{ 'x' * 100 }}{% endfor %}"}, "request.body", ("request", "body"))
    with pytest.raises(TemplateFailure, match="too large") as info:
        tree.render({"xs": items()})
    assert pulled <= MAX_RENDERED_CHARS // 100 + 2
    assert info.value.security and info.value.path == ("request", "body", "x")


@pytest.mark.parametrize("template", ["{{ 'x' * n }}", "a{{ 'x' * n }}", "{{ range(n) | list }}", "{{ 2 ** n }}"])
def test_sandbox_caps_are_security_failures(template: str) -> None:
    with pytest.raises(TemplateFailure) as info:
        compile_tree(template).render({"n": 10**7})
    assert info.value.security


def test_ordinary_render_failures_are_not_security_failures() -> None:
    for template in ("{{ missing }}", "a{{ missing }}", "{{ x.y }}"):
        with pytest.raises(TemplateFailure) as info:
            compile_tree(template).render({"x": {}})
        assert not info.value.security


def test_a_cap_hit_while_building_a_request_is_a_spec_error(tmp_path) -> None:
    from specwire.errors import RequestBuildError, SpecError
    from specwire.registry import SpecRegistry
    from specwire.request import build_request
    from specwire.types import Request

    body = "{% for m in messages %}{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}{% endfor %}"
    (tmp_path / "big.yaml").write_text(f'spec_version: 1\nprovider: big\nextends: openai\nrequest:\n  body:\n    x: "{body}"\n    y: "{{{{ settings.nope }}}}"\n', encoding="utf-8")
    spec = SpecRegistry([str(tmp_path)], env={}, user_config=False).get("big")
    with pytest.raises(SpecError, match="too large") as info:
        build_request(spec, Request(messages=[{"role": "user", "content": "hi"}] * 5), model="m")
    assert (info.value.file, info.value.line, info.value.col, info.value.rule) == (str(tmp_path / "big.yaml"), 6, 8, "template")
    with pytest.raises(RequestBuildError):  # one message: under the cap, then a missing setting
        build_request(spec, Request(messages="hi"), model="m")
