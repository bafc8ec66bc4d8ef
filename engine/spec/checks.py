"""Spec lint: JSON Schema plus semantic checks, every finding a located :class:`SpecIssue`.

Rules (the ``[rule]`` printed by ``validate-spec``; every rule id of the engine is a key of
:data:`specwire.vocabulary.LINT_RULES`):

* ``schema``: the tree against ``schemas/provider-spec.schema.json`` (draft 2020-12; unknown keys are
  errors, with a did-you-mean);
* ``jmespath`` / ``template``: every expression and template compiles;
* ``template-variable``: a template reads a name its location does not provide (did-you-mean);
* ``unknown-auth-scheme`` / ``unknown-framing``: the named hook is registered (did-you-mean);
* ``rule-fields``: an event rule has what its ``emit`` needs; ``cases`` only with ``foreach``;
* ``param-rule``: a parameter case sets something, or says it is unsupported or refused; clamp bounds ordered;
* ``operation-field``: an ``operations`` entry maps a response field its operation does not have,
  leaves out one it needs, or accepts an option the operation does not take.
* ``duplicate-model``: a model id or alias appears twice; ``unknown-profile``: a model names a
  profile that is not defined.

* ``credential-host`` (warning, :func:`credential_issues`): the spec reads a built-in provider's
  key variable while its ``base_url`` points at a host that key is not bound to.
* ``settings-secret`` (:func:`settings_secret_issues`): a setting reads a key or a secret-named
  variable into the template context.

The loader adds the YAML rules (``duplicate-key``, ``yaml-date``, ``yaml-truthy``…) and the
registry the file rules (``provider-name``, ``unknown-extends``, ``extends-failed``,
``builtin-shadowing``…).  ``validate-spec`` and the registry's loading run these same checks, so a
spec that lints clean is not refused on load.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import re
import reprlib
from collections.abc import Callable, Iterator, Mapping
from importlib.resources import files
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from .. import hooks
from ..render import TemplateFailure, compile_expression, compile_tree, expression_variables, template_leaves, template_variables
from .compile import CompiledSpec, compile_spec
from .issues import SourceMap, SpecIssue

__all__ = ["CONTEXTS", "CREDENTIAL_HOST", "check_fragment", "check_own_keys", "check_tree", "credential_issues", "spec_schema"]

_COMMON = {"omit", "range", "model"}
#: The names each template location may read.
CONTEXTS: dict[str, set[str]] = {
    "request": _COMMON | {"stream", "messages", "system_parts", "system_text", "tools", "settings", "model_info", "params"},
    "base_url": _COMMON | {"settings"},
    "message": _COMMON | {"role", "parts", "text", "only_text", "name"},
    "part": _COMMON | {"part", "meta", "role"},
    "tool": _COMMON | {"tool", "meta"},
    "param": _COMMON | {"value", "params", "model_info", "stream", "settings", "tools"},
    # operations (engine/operations.py): every one sees these; embed adds inputs/items, list_models
    # page, count_tokens the chat request's rendered messages and tools
    "operation": _COMMON | {"settings", "model_info", "params", "stream", "inputs", "items", "page", "messages", "system_parts", "system_text", "tools"},
    "operation_item": _COMMON | {"settings", "model_info", "params", "stream", "inputs", "input", "index"},
    "operation_batch": _COMMON | {"settings", "model_info"},
}

#: An ``emit`` (:data:`specwire.vocabulary.EMITS`) → groups of rule fields
#: (:data:`~specwire.vocabulary.RULE_FIELDS`, :data:`~specwire.vocabulary.RULE_MAPS`); each group needs
#: at least one of its fields.
EMIT_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "text_delta": (("delta", "set"),),
    "reasoning_delta": (("delta", "set"),),
    "text": (("text", "set"),),
    "reasoning": (("text", "redacted", "set"),),
    "tool_call_start": (("tool_name", "tool_call_id"),),
    "tool_call_delta": (("delta", "tool_name", "tool_call_id", "arguments", "patches"),),
    "tool_call": (("tool_name",),),
    "provider_metadata": (("set",),),
    "provider_part": (("data",),),
    "response_metadata": (("id", "model", "set", "append"),),
    "usage": (("usage",),),
    "logprobs": (("logprobs",),),
    "choice": (("index",),),
}


@functools.cache
def spec_schema() -> dict[str, Any]:
    """The provider-spec JSON Schema shipped in ``specwire.schemas``."""
    text = files("specwire.schemas").joinpath("provider-spec.schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(spec_schema())


def check_tree(data: Any, source: SourceMap, file: str) -> tuple[CompiledSpec | None, list[SpecIssue]]:
    """Validate and compile a merged spec tree.  The spec is ``None`` when there are errors."""
    issues = sorted(_schema_issues(data, source, file), key=lambda i: (i.file, i.line, i.col, i.rule))
    if issues:
        return None, sorted(issues + _beyond_schema(data, source, file, issues), key=lambda i: (i.file, i.line, i.col, i.rule))
    spec, problems = compile_spec(data, file, source)
    for path, rule, message in problems:
        issues.append(_at(source, file, path, rule, message))
    issues.extend(_semantic_issues(data, source, file))
    issues.sort(key=lambda i: (i.file, i.line, i.col, i.rule))
    if any(i.level == "error" for i in issues):
        return None, issues
    return spec, issues


def check_own_keys(data: Any, source: SourceMap, file: str) -> list[SpecIssue]:
    """The schema findings of one file's own tree when it cannot be merged with the spec it
    extends (that one failed to load, or is missing): unknown keys and wrong types still show in
    the same run; a key the parent would have provided is not reported missing."""
    return sorted(_schema_issues(data, source, file, partial=True), key=lambda i: (i.file, i.line, i.col, i.rule))


def check_fragment(data: Any, source: SourceMap, file: str) -> list[SpecIssue]:
    """The findings of an abstract spec (a ``bases/`` file, merged with what it extends), linted
    as a fragment: the schema without its required keys (a key left to the specs extending it is
    not missing), and the checks of the parts it does write (auth scheme and framing names,
    templates, event rules, params).  It is never compiled: each spec extending it is checked
    whole."""
    issues = list(_schema_issues(data, source, file, partial=True))
    if isinstance(data, dict):
        issues += _beyond_schema(data, source, file, issues, compile_checks=False)
    return sorted(issues, key=lambda i: (i.file, i.line, i.col, i.rule))


def _beyond_schema(data: Any, source: SourceMap, file: str, schema_issues: list[SpecIssue], *, compile_checks: bool = True) -> list[SpecIssue]:
    """The compile and semantic findings of a tree the schema refused, so that one run shows every
    layer (an unknown framing is not hidden behind an unknown key).  They run on the tree without
    the nodes the schema refused; a finding at, inside or around a place the schema already
    reported is dropped (one finding per place: a refused ``emit`` is not also a rule without
    ``emit``), and a check that cannot run on what is left (a required key is missing) is
    skipped."""
    if not isinstance(data, dict):
        return []
    try:
        tree = _pruned(data)
    except Exception:  # noqa: BLE001 - a tree too odd to prune: the schema's findings stand alone
        return []
    checks: list[Callable[[], Any]] = [
        lambda: [_at(source, file, path, rule, message) for path, rule, message in compile_spec(tree, file, source)[1]] if compile_checks else [],
        lambda: _hook_issues(tree, source, file),
        lambda: _template_issues(tree, source, file, syntax=not compile_checks),
        lambda: _rule_issues(tree, source, file),
        lambda: _all_param_issues(tree, source, file),
    ]
    taken = {(i.line, i.col) for i in schema_issues}
    refused = [i.path for i in schema_issues if i.path]

    def related(path: str) -> bool:
        return any(path == r or path.startswith(r + ".") or r.startswith(path + ".") for r in refused) if path else False

    out: list[SpecIssue] = []
    for check in checks:
        try:
            found = list(check())
        except Exception:  # noqa: BLE001 - the shape this check relies on is what the schema refused
            continue
        out += [i for i in found if (i.line, i.col) not in taken and not related(i.path) and i not in out]
    return out


def _pruned(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` without the keys and values the schema refuses (unknown keys, values of
    the wrong type or out of their enum); a missing required key stays missing."""
    tree = copy.deepcopy(data)
    for error in list(_validator().iter_errors(tree)):
        error = _most_relevant(error)
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            # an additionalProperties failure comes from an object schema (a mapping, never a bare bool)
            schema = error.schema if isinstance(error.schema, Mapping) else {}
            allowed = set((schema.get("properties") or {}).keys())
            patterns = list((schema.get("patternProperties") or {}).keys())
            parent = _node(tree, path)
            for key in [k for k in error.instance if k not in allowed and not any(re.search(p, k) for p in patterns)]:
                if isinstance(parent, dict):
                    parent.pop(key, None)
        elif error.validator != "required" and path:
            parent = _node(tree, path[:-1])
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent):
                parent[path[-1]] = None
    return tree


def _node(tree: Any, path: list[Any]) -> Any:
    for key in path:
        try:
            tree = tree[key]
        except (KeyError, IndexError, TypeError):
            return None
    return tree


# ---------------------------------------------------------------------------- schema
def _schema_issues(data: Any, source: SourceMap, file: str, *, partial: bool = False) -> Iterator[SpecIssue]:
    if not isinstance(data, dict):
        yield SpecIssue(file, 1, 1, "schema", "a spec must be a mapping")
        return
    seen: set[tuple[tuple[object, ...], str]] = set()
    for error in sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        error = _most_relevant(error)
        if partial and error.validator == "required":
            continue
        path: tuple[object, ...] = tuple(error.absolute_path)
        message, path, at_key = _describe(error, path)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        yield _at(source, file, path, "schema", message, at_key=at_key)


def _most_relevant(error: ValidationError) -> ValidationError:
    """Inside a ``oneOf`` (a rule or a list of rules, or null), the branch that failed for a
    reason other than its type says what is wrong."""
    while error.context:
        candidates = [e for e in error.context if e.validator != "type"] or list(error.context)
        deeper = best_match(candidates)
        if deeper is None:
            break
        error = deeper
    return error


def _describe(error: ValidationError, path: tuple[object, ...]) -> tuple[str, tuple[object, ...], bool]:
    """``(message, path, located at the key)``.  The common findings (unknown key, enum, missing
    key, wrong type) are worded here, so what ``validate-spec`` prints does not change with the
    jsonschema release; the rarer ones keep jsonschema's message."""
    schema: Any = error.schema  # the failing subschema and its keyword's value, as in the schema
    value: Any = error.validator_value
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set((schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            key = extra[0]
            close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return f"unknown key {key!r}{hint}", path + (key,), True
    if error.validator == "required" and isinstance(error.instance, dict):
        # jsonschema raises one error per missing key and names it only in its own message: the
        # message is written here, once per mapping, naming every missing key
        missing = [k for k in value if k not in error.instance]
        if missing:
            names = ", ".join(repr(k) for k in missing)
            return f"{names} {'is a required property' if len(missing) == 1 else 'are required properties'}", path, False
    if error.validator == "type":
        types = [value] if isinstance(value, str) else list(value)
        return f"{reprlib.repr(error.instance)} is not of type {', '.join(repr(t) for t in types)}", path, False
    if error.validator == "enum":
        close = difflib.get_close_matches(str(error.instance), [str(v) for v in value], n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{error.instance!r} is not one of {', '.join(map(str, value))}{hint}", path, False
    return error.message, path, False


# ---------------------------------------------------------------------------- semantics
def _semantic_issues(data: dict[str, Any], source: SourceMap, file: str) -> Iterator[SpecIssue]:
    yield from _hook_issues(data, source, file)
    yield from _template_issues(data, source, file)
    yield from _rule_issues(data, source, file)
    yield from _all_param_issues(data, source, file)
    yield from _bare_name_issues(data, source, file)


def _bare_name_issues(data: dict[str, Any], source: SourceMap, file: str) -> Iterator[SpecIssue]:
    """``bare_names.patterns`` must start with a literal prefix (``*`` would claim every name) and
    close their ``[`` sets; ``default_model`` should be in the catalog; a ``provider_aliases``
    entry is not the spec's own id and appears once (clashes across specs: the registry)."""
    for i, pattern in enumerate((data.get("bare_names") or {}).get("patterns") or ()):
        if not pattern or pattern[0] in "*?[":
            yield _at(source, file, ("bare_names", "patterns", i), "bare-name-pattern", f"pattern {pattern!r} must start with a literal prefix (e.g. 'gpt-*'): it would claim names of every provider")
        elif pattern.count("[") != pattern.count("]"):
            yield _at(source, file, ("bare_names", "patterns", i), "bare-name-pattern", f"pattern {pattern!r} has an unclosed '[' set")
    default = data.get("default_model")
    ids = {n for m in data.get("models") or () for n in (m.get("id"), *(m.get("aliases") or ()))}
    if default is not None and ids and default not in ids:
        yield _at(source, file, ("default_model",), "default-model", f"default_model {default!r} is not in the catalog", "warning")
    seen: set[str] = set()
    for i, alias in enumerate(data.get("provider_aliases") or ()):
        if alias == data.get("provider") or alias in seen:
            yield _at(source, file, ("provider_aliases", i), "provider-alias-clash", f"provider alias {alias!r} is the provider id or listed twice")
        seen.add(alias)


def _all_param_issues(data: dict[str, Any], source: SourceMap, file: str) -> Iterator[SpecIssue]:
    yield from _param_issues(data.get("params") or {}, ("params",), source, file)
    for name, profile in (data.get("profiles") or {}).items():
        yield from _param_issues((profile or {}).get("params") or {}, ("profiles", name, "params"), source, file)
    for i, model in enumerate(data.get("models") or ()):
        yield from _param_issues(model.get("params") or {}, ("models", i, "params"), source, file)


def _hook_issues(data: dict[str, Any], source: SourceMap, file: str) -> Iterator[SpecIssue]:
    scheme = (data.get("auth") or {}).get("scheme")
    if scheme is not None and scheme not in hooks.known("auth"):
        yield _at(source, file, ("auth", "scheme"), "unknown-auth-scheme", _unknown("auth", "auth scheme", scheme))
    stream = data.get("stream") or {}
    framings: list[tuple[tuple[object, ...], Any]] = [(("stream", "framing"), stream.get("framing"))]
    framings += [(("stream", "modes", n, "framing"), m.get("framing")) for n, m in (stream.get("modes") or {}).items()]
    for path, name in framings:
        if name is not None and name not in hooks.known("framing"):
            yield _at(source, file, path, "unknown-framing", _unknown("framing", "framing", name))


def _unknown(kind: str, label: str, name: str) -> str:
    hint = hooks.suggest(kind, name)
    return f"{label} {name!r} is not registered{f' (did you mean {hint!r}?)' if hint else ''}; known: {', '.join(hooks.known(kind))}"


def _template_issues(data: dict[str, Any], source: SourceMap, file: str, *, syntax: bool = False) -> Iterator[SpecIssue]:
    """Templates reading names their place does not provide; with ``syntax`` (a fragment, which
    is never compiled), templates that do not compile too."""
    request = data.get("request") or {}
    stream = data.get("stream") or {}
    into = {r.get("into") for v in (request.get("parts") or {}).values() for r in (v if isinstance(v, list) else [v]) if r.get("into")}
    places: list[tuple[tuple[object, ...], Any, set[str], bool]] = [
        (("base_url",), data.get("base_url"), CONTEXTS["base_url"], False),
        (("headers",), data.get("headers"), CONTEXTS["request"], False),
        (("request", "path"), request.get("path"), CONTEXTS["request"], False),
        (("request", "query"), request.get("query"), CONTEXTS["request"], False),
        (("request", "body"), request.get("body"), CONTEXTS["request"], False),
        (("request", "message"), request.get("message"), CONTEXTS["message"] | into, False),
        (("request", "tool"), request.get("tool"), CONTEXTS["tool"], False),
        (("request", "tool_after"), request.get("tool_after"), CONTEXTS["tool"], False),
        (("stream", "path"), stream.get("path"), CONTEXTS["request"], False),
        (("stream", "query"), stream.get("query"), CONTEXTS["request"], False),
        (("stream", "body"), stream.get("body"), CONTEXTS["request"], False),
    ]
    for name, op in (data.get("operations") or {}).items():
        for key in ("base_url", "path", "query", "headers", "body"):
            places.append((("operations", name, key), (op or {}).get(key), CONTEXTS["operation"], False))
        places.append((("operations", name, "item"), (op or {}).get("item"), CONTEXTS["operation_item"], False))
        if isinstance((op or {}).get("max_batch"), str):
            places.append((("operations", name, "max_batch"), op["max_batch"], CONTEXTS["operation_batch"], False))
    for role, tree in (request.get("message_by_role") or {}).items():
        places.append((("request", "message_by_role", role), tree, CONTEXTS["message"] | into, False))
    for kind, rules in (request.get("parts") or {}).items():
        for i, rule in enumerate(rules if isinstance(rules, list) else [rules]):
            base = ("request", "parts", kind) + ((i,) if isinstance(rules, list) else ())
            for key in ("value", "as_message", "after"):
                places.append((base + (key,), rule.get(key), CONTEXTS["part"], False))
            places.append((base + ("when",), rule.get("when"), CONTEXTS["part"], True))
    places += _param_places(data.get("params") or {}, ("params",))
    for name, profile in (data.get("profiles") or {}).items():
        places += _param_places((profile or {}).get("params") or {}, ("profiles", name, "params"))
    for i, model in enumerate(data.get("models") or ()):
        places += _param_places(model.get("params") or {}, ("models", i, "params"))
    for path, tree, allowed, is_expression in places:
        if tree is None:
            continue
        leaves = [((), str(tree))] if is_expression else template_leaves(tree)
        for sub, text in leaves:
            try:
                names = expression_variables(text) if is_expression else template_variables(text)
            except Exception:  # a syntax error is reported by the compile step  # noqa: BLE001
                if syntax:
                    yield from _template_syntax(source, file, path + sub, text, is_expression)
                continue
            for name in sorted(names - allowed):
                close = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                yield _at(source, file, path + sub, "template-variable", f"template reads {name!r}, which this place does not provide{hint}; available: {', '.join(sorted(allowed - {'omit', 'range'}))}")


def _template_syntax(source: SourceMap, file: str, path: tuple[object, ...], text: str, is_expression: bool) -> Iterator[SpecIssue]:
    """The ``template`` finding of one template that does not compile (as the compiler words it)."""
    where = ".".join(str(p) for p in path)
    try:
        if is_expression:
            compile_expression(text, where, path)
        else:
            compile_tree(text, where, path)
    except TemplateFailure as exc:
        yield _at(source, file, path, "template", f"{where}: {exc.detail}")


def _param_places(params: dict[str, Any], base: tuple[object, ...]) -> list[tuple[tuple[object, ...], Any, set[str], bool]]:
    out: list[tuple[tuple[object, ...], Any, set[str], bool]] = []
    for name, value in params.items():
        if value is None:
            continue
        for i, case in enumerate(value if isinstance(value, list) else [value]):
            path = base + (name,) + ((i,) if isinstance(value, list) else ())
            out.append((path + ("when",), case.get("when"), CONTEXTS["param"], True))
            for key in ("value", "default", "set", "set_default", "append"):
                out.append((path + (key,), case.get(key), CONTEXTS["param"], False))
    return out


def _rule_issues(data: dict[str, Any], source: SourceMap, file: str) -> Iterator[SpecIssue]:
    for section in ("stream", "response"):
        for name, rule in ((data.get(section) or {}).get("events") or {}).items():
            if rule is None:
                continue
            path = (section, "events", name)
            if "cases" in rule:
                if "foreach" not in rule:
                    yield _at(source, file, path + ("cases",), "rule-fields", "`cases` needs `foreach`")
                if "emit" in rule:
                    yield _at(source, file, path + ("emit",), "rule-fields", "a rule with `cases` takes `emit` in each case")
                for i, case in enumerate(rule["cases"]):
                    yield from _needs(case, path + ("cases", i), source, file)
            elif "emit" not in rule:
                yield _at(source, file, path, "rule-fields", "a rule needs `emit` (or `foreach` with `cases`)")
            else:
                yield from _needs(rule, path, source, file)


def _needs(rule: dict[str, Any], path: tuple[object, ...], source: SourceMap, file: str) -> Iterator[SpecIssue]:
    for group in EMIT_NEEDS.get(rule.get("emit", ""), ()):
        if not any(f in rule for f in group):
            yield _at(source, file, path, "rule-fields", f"emit {rule['emit']!r} needs {' or '.join(repr(f) for f in group)}")


def _param_issues(params: dict[str, Any], base: tuple[object, ...], source: SourceMap, file: str) -> Iterator[SpecIssue]:
    for name, value in params.items():
        if value is None:
            continue
        cases = value if isinstance(value, list) else [value]
        for i, case in enumerate(cases):
            path = base + (name,) + ((i,) if isinstance(value, list) else ())
            if not any(k in case for k in ("to", "set", "set_default", "append", "unsupported", "error")):
                yield _at(source, file, path, "param-rule", "a parameter case needs `to`, `set`, `set_default`, `append`, `unsupported` or `error`")
            clamp = case.get("clamp")
            if clamp and clamp[0] > clamp[1]:
                yield _at(source, file, path + ("clamp",), "param-rule", f"clamp bounds {clamp} are in the wrong order")
            if ("unsupported" in case or "error" in case) and any(k in case for k in ("to", "set", "set_default", "append")):
                yield _at(source, file, path, "param-rule", "an `unsupported` or `error` case cannot also set fields")


# ---------------------------------------------------------------------------- credentials
#: The rule of :func:`credential_issues`.
CREDENTIAL_HOST = "credential-host"


def credential_issues(data: dict[str, Any], source: SourceMap, file: str, binding: Callable[[str], list[tuple[str, tuple[str, ...]]] | None]) -> list[SpecIssue]:
    """Warnings for a spec that reads a built-in provider's key variable (``env.api_key``, e.g.
    ``OPENAI_API_KEY``) while its ``base_url`` points at a host that variable is not bound to: a
    call would be refused (:mod:`specwire.binding`), so lint says so first.  ``binding`` is
    :meth:`SpecRegistry.credential_binding` (variable → ``[(host pattern, base-URL variables)]``,
    ``None`` for a variable no built-in spec declares).  A warning, not an error: the user may set
    the provider's base-URL variable or ``Client(trusted_hosts=...)``.  Located at ``base_url``,
    or at ``env.api_key`` when only that is written in this file."""
    from ..binding import host_matches, host_pattern

    host = host_pattern(str(data.get("base_url") or ""))
    keys = (data.get("env") or {}).get("api_key") or ()
    if not host or "*" == host:
        return []
    out = []
    for var in (keys,) if isinstance(keys, str) else keys:
        bound = binding(var) if isinstance(var, str) else None
        if bound is None or any(host_matches(host, pattern) for pattern, _ in bound):
            continue
        hosts = ", ".join(sorted({pattern for pattern, _ in bound}))
        where = next((path for path in (("base_url",), ("env", "api_key")) if source.locate(path)[0] == file), ("base_url",))
        issue = _at(source, file, where, CREDENTIAL_HOST, f"reads {var}, a built-in provider's key bound to {hosts}, but base_url points at {host}: a call would be refused; use a variable of your own or Client(trusted_hosts=[...])", "warning")
        out.append(issue if issue.file == file else SpecIssue(file, 1, 1, CREDENTIAL_HOST, issue.message, "warning", issue.path))
    return out


SETTINGS_SECRET = "settings-secret"

# Variable names that say "secret" whatever spec declares them (AWS_SECRET_ACCESS_KEY, *_API_KEY,
# *_TOKEN, DB_PASSWORD…).  A setting is a template value; a secret reaches a request only through
# the auth hook (docs/RELIABILITY.md T5).
_SECRET_NAME = re.compile(r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?)$|SECRET|PASSWORD", re.IGNORECASE)


def settings_secret_issues(data: dict[str, Any], source: SourceMap, file: str, binding: Callable[[str], object] | None) -> list[SpecIssue]:
    """Errors for a ``settings.<name>.env`` that reads a secret into the template context: a
    variable this spec reads its API key from (``env.api_key``), one a built-in spec declares as
    an API key (``binding``: :meth:`SpecRegistry.credential_binding`, ``None`` to skip that
    look-up), or one whose name says it is a secret (:data:`_SECRET_NAME`).  Templates can put a
    setting into the URL, headers or body, so such a spec could send a key anywhere with
    ``auth: {scheme: none}``; the loader and ``validate-spec`` both refuse it."""
    settings = data.get("settings")
    if not isinstance(settings, dict):
        return []
    keys = (data.get("env") or {}).get("api_key") or ()
    own = {keys} if isinstance(keys, str) else {k for k in keys if isinstance(k, str)}
    out = []
    for name, decl in settings.items():
        names = decl.get("env") if isinstance(decl, dict) else None
        for var in (names,) if isinstance(names, str) else (names or ()):
            if not isinstance(var, str):
                continue
            if var in own or _SECRET_NAME.search(var) or (binding is not None and binding(var) is not None):
                out.append(_at(source, file, ("settings", name, "env"), SETTINGS_SECRET, f"settings.{name} reads {var}, a secret: templates never see secrets (keys reach a request only through `auth`); read it with `env.api_key` and an auth scheme instead"))
    return out


def _at(source: SourceMap, file: str, path: tuple[object, ...], rule: str, message: str, level: str = "error", *, at_key: bool = False) -> SpecIssue:
    where_file, line, col = source.locate_key(path) if at_key else source.locate(path)
    return SpecIssue(
        file=where_file if where_file != "<spec>" else file,
        line=line,
        col=col,
        rule=rule,
        message=message,
        level=level,  # type: ignore[arg-type]
        path=".".join(str(p) for p in path),
    )
