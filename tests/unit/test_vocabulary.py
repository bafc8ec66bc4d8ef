"""Every set of names the engine uses agrees with :mod:`specwire.vocabulary` (project issue 13).

What this protects: a name (an ``emit``, a rule field, a generic option, a finish reason, an error
class, a warning kind, a lint rule id) cannot be added in one place only.  The vocabulary's sets
are compared with the engine's own tables (the assembler's handlers, the compiler's rule fields,
``errors.ERROR_CLASSES``, the ``Literal`` types), and the engine's source is scanned with
:mod:`ast` for every lint rule id and warning kind it writes: each must be declared, and each
declared one must be written somewhere.  ``tests/unit/test_schema_drift.py`` does the same for the
spec schema.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from specwire import vocabulary
from tests.conftest import ROOT

ENGINE = ROOT / "engine"
KEBAB = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


# ---------------------------------------------------------------------------- the module itself
def test_importing_the_vocabulary_loads_nothing_else() -> None:
    code = "import sys, specwire.vocabulary; print(sorted(m for m in sys.modules if m.startswith('specwire') or m in ('pydantic', 'jinja2', 'httpx', 'yaml', 'jmespath', 'jsonschema')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert json.loads(out.replace("'", '"')) == ["specwire", "specwire.vocabulary"]


def test_the_vocabulary_imports_only_the_standard_library() -> None:
    tree = ast.parse((ENGINE / "vocabulary.py").read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level], "no specwire imports"
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


@pytest.mark.parametrize("name", vocabulary.__all__)
def test_each_set_is_declared_once_without_repeats_and_in_its_case(name: str) -> None:
    names = list(getattr(vocabulary, name))
    assert names and len(names) == len(set(names)), f"{name} repeats a name"
    shape = KEBAB if name in ("WARNING_KINDS", "LINT_RULES", "ROUTER_LINT_RULES") else SNAKE if name != "ERROR_CLASS_NAMES" else re.compile(r"[A-Z][A-Za-z]*Error")
    assert [n for n in names if not shape.fullmatch(n)] == []


def test_lint_rules_have_a_meaning_and_router_rules_their_prefix() -> None:
    assert all(text.strip() for text in (*vocabulary.LINT_RULES.values(), *vocabulary.WARNING_KINDS.values()))
    assert all(r.startswith("router-") for r in vocabulary.ROUTER_LINT_RULES)
    assert not any(r.startswith("router-") for r in vocabulary.LINT_RULES)


# ---------------------------------------------------------------------------- tables of the engine
def test_emits_are_the_assembler_handlers_plus_ignore_and_error() -> None:
    """``ignore`` drops a frame and ``error`` ends the stream in the processor (engine/process.py);
    every other emit is an assembler handler."""
    from specwire.assemble import Assembler

    assert set(Assembler._HANDLERS) | {"ignore", "error"} == set(vocabulary.EMITS)  # pyright: ignore[reportPrivateUsage]
    assert not {"ignore", "error"} & set(Assembler._HANDLERS)  # pyright: ignore[reportPrivateUsage]


def test_lint_needs_name_only_emits_and_rule_fields() -> None:
    from specwire.spec.checks import EMIT_NEEDS

    assert set(EMIT_NEEDS) <= set(vocabulary.EMITS)
    fields = {f for groups in EMIT_NEEDS.values() for group in groups for f in group}
    assert fields <= {*vocabulary.RULE_FIELDS, *vocabulary.RULE_MAPS}


def test_the_compiler_reads_the_vocabulary_rule_fields() -> None:
    from specwire.spec import compile as spec_compile

    assert set(spec_compile.RULE_FIELDS) == set(vocabulary.RULE_FIELDS)
    assert not set(vocabulary.RULE_FIELDS) & set(vocabulary.RULE_MAPS)


def test_generic_params_are_request_fields_and_options() -> None:
    from specwire import types
    from specwire.options import RequestOptions

    assert tuple(types.GENERIC_PARAMS) == vocabulary.GENERIC_PARAMS
    assert set(vocabulary.GENERIC_PARAMS) <= set(types.Request.model_fields)
    assert set(vocabulary.GENERIC_PARAMS) <= RequestOptions.__optional_keys__ | RequestOptions.__required_keys__


def test_finish_reasons_are_the_unified_type_and_the_event_schema() -> None:
    from specwire import types

    assert typing.get_args(types.UnifiedFinish) == vocabulary.FINISH_REASONS
    assert tuple(types.UNIFIED_FINISH_REASONS) == vocabulary.FINISH_REASONS
    events = json.loads((ROOT / "schemas" / "stream-event.schema.json").read_text(encoding="utf-8"))
    assert events["$defs"]["finish_reason"]["properties"]["unified"]["enum"] == list(vocabulary.FINISH_REASONS)


def test_error_class_names_are_public_status_errors() -> None:
    from specwire import errors

    assert list(errors.ERROR_CLASSES) == list(vocabulary.ERROR_CLASS_NAMES)
    for name, cls in errors.ERROR_CLASSES.items():
        assert cls.__name__ == name and issubclass(cls, errors.APIStatusError) and name in errors.__all__


def test_roles_and_part_kinds_are_the_message_types() -> None:
    from specwire import parts

    assert typing.get_args(parts.Role) == vocabulary.ROLES
    part_union = typing.get_args(parts.Part)[0]
    kinds = tuple(cls.model_fields["type"].default for cls in typing.get_args(part_union))
    assert kinds == vocabulary.PART_KINDS


def test_operations_are_re_exported_by_the_spec_compiler() -> None:
    from specwire.spec import operations

    assert operations.OPERATIONS is vocabulary.OPERATIONS
    assert operations.OPERATION_OPTIONS is vocabulary.OPERATION_OPTIONS
    assert operations.ITEM_FIELDS is vocabulary.OPERATION_ITEM_FIELDS
    required, optional = vocabulary.OPERATIONS["list_models"]
    assert vocabulary.OPERATION_ITEM_FIELDS <= {*required, *optional}


def test_the_capabilities_a_call_relies_on_are_declared() -> None:
    from specwire.capabilities import _needs  # pyright: ignore[reportPrivateUsage]
    from specwire.option_types import Reasoning, ResponseFormat, Tool
    from specwire.types import ImagePart, Message, Request, TextPart

    request = Request(
        messages=[Message(role="user", content=[TextPart(text="hi"), ImagePart(url="https://example.com/a.png", media_type="image/png")])],
        tools=[Tool(name="f", parameters={"type": "object"})],
        reasoning=Reasoning(effort="high"),
        response_format=ResponseFormat(type="json_schema", schema={"type": "object"}, name="x"),
    )
    for by_tool in (False, True):
        used = {capability for capability, _, _ in _needs(request, schema_by_tool=by_tool)}
        assert used and used <= set(vocabulary.CAPABILITIES)


# ---------------------------------------------------------------------------- the engine's source
# a call that writes a lint rule id -> the position of that argument (a ``rule=`` keyword counts
# too); ``problem`` is the spec compiler's method (``c.problem``/``self.problem``), ``issue`` the
# router config's helper
_RULE_ARGS = {"SpecIssue": 3, "_issue": 3, "_at": 3, "_section_issue": 3, "problem": 1, "issue": 1}
_METHOD_ONLY = {"problem"}


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name != "vocabulary.py":
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def _constants() -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments of the engine, by name (``REPLAY_RULE``…)."""
    out: dict[str, str] = {}
    for _, tree in _modules():
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Name):
                        out[target.id] = node.value.value
    return out


def _value(node: ast.expr) -> str | None:
    """A string literal, or a name bound to one at module level; ``None`` for anything else (a
    parameter passed through)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    return _constants().get(name) if name else None


def _callee(call: ast.Call) -> tuple[str | None, bool]:
    if isinstance(call.func, ast.Name):
        return call.func.id, False
    if isinstance(call.func, ast.Attribute):
        return call.func.attr, True
    return None, False


@cache
def written_rules() -> dict[str, set[str]]:
    """Every lint rule id the engine writes → the ``file:line`` places."""
    out: dict[str, set[str]] = {}
    for path, tree in _modules():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name, is_method = _callee(call)
            args = [k.value for k in call.keywords if k.arg == "rule"]
            if name in _RULE_ARGS and (is_method or name not in _METHOD_ONLY) and len(call.args) > _RULE_ARGS[name]:
                args.append(call.args[_RULE_ARGS[name]])
            for arg in args:
                if (rule := _value(arg)) is not None:
                    out.setdefault(rule, set()).add(f"{path.relative_to(ROOT)}:{call.lineno}")
    return out


@cache
def written_warning_kinds() -> dict[str, set[str]]:
    """Every :class:`CallWarning` kind the engine writes (``CallWarning(kind=...)`` and the
    assembler's ``warn(kind, detail)``) → the ``file:line`` places."""
    out: dict[str, set[str]] = {}
    for path, tree in _modules():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name, is_method = _callee(call)
            args = [k.value for k in call.keywords if k.arg == "kind"] if name == "CallWarning" else []
            if name == "warn" and is_method and call.args and not (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.value.id == "warnings"):
                args.append(call.args[0])
            for arg in args:
                if (kind := _value(arg)) is not None:
                    out.setdefault(kind, set()).add(f"{path.relative_to(ROOT)}:{call.lineno}")
    return out


def _is_router(place: str) -> bool:
    return place.startswith("engine/router/")


def test_the_scan_finds_the_known_writers() -> None:
    """The scan itself: it sees rules written as literals, through module constants, by keyword,
    and by the compiler's and the router's helpers."""
    rules = written_rules()
    for rule, place in (("template-variable", "engine/spec/checks.py"), ("sample-replay", "engine/spec/samples.py"), ("operation-field", "engine/spec/operations.py"),
                        ("jmespath", "engine/spec/compile.py"), ("registered-value", "engine/spec/registered.py"), ("router-regex", "engine/router/config.py")):
        assert any(p.startswith(place) for p in rules.get(rule, ())), (rule, place)
    kinds = written_warning_kinds()
    assert {"unsupported-param", "bare-model", "unmatched-event"} <= set(kinds)


def test_every_lint_rule_written_is_declared_and_every_declared_one_written() -> None:
    rules = written_rules()
    spec_rules = {r for r, places in rules.items() if not all(map(_is_router, places))}
    router_rules = {r for r, places in rules.items() if any(map(_is_router, places))}
    undeclared = sorted(f"{r} ({', '.join(sorted(rules[r]))})" for r in spec_rules - set(vocabulary.LINT_RULES))
    assert undeclared == [], "add these to specwire.vocabulary.LINT_RULES"
    assert sorted(router_rules - set(vocabulary.ROUTER_LINT_RULES)) == [], "add these to specwire.vocabulary.ROUTER_LINT_RULES"
    assert sorted(set(vocabulary.LINT_RULES) - spec_rules) == [], "declared in LINT_RULES but written nowhere"
    assert sorted(set(vocabulary.ROUTER_LINT_RULES) - router_rules) == [], "declared in ROUTER_LINT_RULES but written nowhere"


def test_every_warning_kind_written_is_declared_and_every_declared_one_written() -> None:
    kinds = written_warning_kinds()
    undeclared = sorted(f"{k} ({', '.join(sorted(kinds[k]))})" for k in set(kinds) - set(vocabulary.WARNING_KINDS))
    assert undeclared == [], "add these to specwire.vocabulary.WARNING_KINDS"
    assert sorted(set(vocabulary.WARNING_KINDS) - set(kinds)) == [], "declared in WARNING_KINDS but written nowhere"


def test_python_warning_categories_name_declared_kinds() -> None:
    from specwire import observe

    assert set(observe._CATEGORIES) <= set(vocabulary.WARNING_KINDS)  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize("expected", ["tests/fixtures/broken_specs/EXPECTED.txt", "tests/hostile_specs/EXPECTED.txt"])
def test_the_expected_lint_outputs_name_declared_rules(expected: str) -> None:
    lines = [line for line in (ROOT / expected).read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    named = {m[1] for line in lines if (m := re.search(r": (?:error|warning) \[([a-z0-9-]+)\]", line))}
    assert named and sorted(named - set(vocabulary.LINT_RULES)) == []
