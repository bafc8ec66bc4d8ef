"""Spec tree → :class:`CompiledSpec`: every Jinja template and JMESPath expression compiled once.

:func:`compile_spec` takes a merged, schema-valid spec tree and returns the compiled spec plus the
problems it found while compiling (a template or expression that does not compile), each located
by its key path.  The compiled objects are frozen dataclasses and tuples; nothing is parsed again
per request or per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..dicts import deep_merge
from ..dispatch import Index, build_index, conditions, rule_conditions
from ..errors import RequestBuildError, SpecError, SpecwireError
from ..jpath import JPath, JPathError, compile_jpath
from ..render import CompiledTree, TemplateFailure, compile_expression, compile_tree
from ..urls import UrlTemplate, compile_url
from ..vocabulary import RULE_FIELDS  # rule fields evaluated as JMESPath (besides when/foreach/set)
from .catalog import TOKEN_PRICES, ModelInfo, PriceRule, Pricing
from .issues import SourceMap
from .operations import OperationSpec, compile_operations

__all__ = [
    "CompiledSpec",
    "ErrorClassRule",
    "ErrorsConfig",
    "ModelInfo",
    "ParamCase",
    "PartRule",
    "PriceRule",
    "Pricing",
    "RequestConfig",
    "Rule",
    "RuleSet",
    "StreamConfig",
    "TOKEN_PRICES",
    "UsageConfig",
    "compile_spec",
]



@dataclass(frozen=True, slots=True)
class Rule:
    """One event rule: ``when`` + ``emit`` + fields (JMESPath), or ``foreach`` over items with
    ``cases`` (the first case whose ``when`` holds fires for each item)."""

    name: str
    emit: str | None
    event: str | None
    when: JPath | None
    once: bool
    foreach: JPath | None
    cases: tuple[Rule, ...]
    fields: tuple[tuple[str, JPath], ...]
    set: tuple[tuple[str, JPath], ...]
    serial: int
    append: tuple[tuple[str, JPath], ...] = ()
    #: ``cases`` indexed on what their ``when`` expressions test (:mod:`specwire.dispatch`)
    case_index: Index[Rule] | None = field(default=None, compare=False, repr=False)
    #: ``fields`` as the mapper evaluates them: ``(name, fn)``, ``fn`` ``None`` where the field is
    #: the ``when`` expression itself (its value is reused)
    plan: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules in file order, indexed by SSE event name and then by a discriminating field
    (:mod:`specwire.dispatch`).  ``for_event(name)`` gives the rules a frame with that event name
    may match (rules without an ``event:`` filter match every frame), ``index_for(name)`` the index
    over them that picks, per frame, the ones that can match."""

    rules: tuple[Rule, ...]
    by_event: MappingProxyType[str, Index[Rule]]
    generic: Index[Rule]
    unmatched: str

    def for_event(self, event: str | None) -> tuple[Rule, ...]:
        return self.index_for(event).rules

    def index_for(self, event: str | None) -> Index[Rule]:
        if event is None:
            return self.generic
        return self.by_event.get(event, self.generic)


@dataclass(frozen=True, slots=True)
class StreamConfig:
    framing: str
    path: UrlTemplate | None
    query: tuple[tuple[str, CompiledTree], ...]
    body: CompiledTree | None
    done_data: str | None
    complete_on: frozenset[str]
    rules: RuleSet
    done_after: frozenset[str] = frozenset()  # a done signal counts once these have arrived too


@dataclass(frozen=True, slots=True)
class PartRule:
    when: Any  # compiled Jinja expression or None
    value: CompiledTree | None
    into: str | None
    as_message: CompiledTree | None
    drop: bool
    error: str | None = None
    after: CompiledTree | None = None  # an extra block right after this one (Bedrock cachePoint)


@dataclass(frozen=True, slots=True)
class RequestConfig:
    method: str
    path: UrlTemplate
    query: tuple[tuple[str, CompiledTree], ...]
    body: CompiledTree
    system_placement: str
    system_join: str
    roles: MappingProxyType[str, str]
    merge_key: str | None
    message: CompiledTree
    message_by_role: MappingProxyType[str, CompiledTree]
    parts: MappingProxyType[str, tuple[PartRule, ...]]
    tool: CompiledTree | None
    tool_after: CompiledTree | None = None  # an extra entry right after a tool definition


@dataclass(frozen=True, slots=True)
class ParamCase:
    when: Any
    sets: tuple[tuple[str, CompiledTree], ...]
    set_defaults: tuple[tuple[str, CompiledTree], ...]
    clamp: tuple[float, float] | None
    max_items: int | None
    default: CompiledTree | None
    required: bool
    unsupported: str | None
    warn: str | None
    strict_schema: str | None = None
    output_tool: CompiledTree | None = None
    error: str | None = None
    appends: tuple[tuple[str, CompiledTree], ...] = ()


@dataclass(frozen=True, slots=True)
class UsageConfig:
    fields: tuple[tuple[str, tuple[JPath, ...]], ...]
    input_includes_cache: bool
    output_includes_reasoning: bool
    snapshot: bool = False
    billed_fields: tuple[tuple[str, tuple[JPath, ...]], ...] = ()
    #: provider usage paths kept in ``Usage.raw`` on purpose (``usage.raw_fields``; validate-spec)
    raw_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorClassRule:
    name: str
    when: JPath | None
    statuses: frozenset[int] | None
    cls: str


@dataclass(frozen=True, slots=True)
class ErrorsConfig:
    message: JPath | None
    code: JPath | None
    type: JPath | None
    param: JPath | None
    request_id: JPath | None
    retry_after: JPath | None
    request_id_headers: tuple[str, ...]
    classes: tuple[ErrorClassRule, ...]
    type_header: str | None = None


@dataclass(frozen=True)
class CompiledSpec:
    """A provider spec ready to use.  ``data`` is the merged spec tree (read-only by convention)."""

    provider: str
    display_name: str
    docs: str | None
    metadata_key: str
    base_url: UrlTemplate
    env_api_key: tuple[str, ...]
    env_base_url: tuple[str, ...]
    settings: MappingProxyType[str, dict[str, Any]]
    auth: MappingProxyType[str, Any]
    headers: tuple[tuple[str, CompiledTree], ...]
    request: RequestConfig
    params: MappingProxyType[str, tuple[ParamCase, ...] | None]
    stream: StreamConfig
    stream_modes: MappingProxyType[str, StreamConfig]
    response: RuleSet
    finish_reasons: MappingProxyType[str, tuple[str, str]]
    usage: UsageConfig
    errors: ErrorsConfig
    models: tuple[ModelInfo, ...]
    model_index: MappingProxyType[str, ModelInfo]
    file: str
    data: Any = field(repr=False)
    retry_statuses: frozenset[int] | None = None
    idempotency_header: str | None = None
    source: SourceMap | None = field(default=None, repr=False, compare=False)
    operations: MappingProxyType[str, OperationSpec] = field(default_factory=lambda: MappingProxyType({}))
    chat: bool = True  # False: no chat API (``chat: false``), only operations

    def locate(self, path: tuple[object, ...]) -> tuple[str, int, int]:
        """``(file, line, col)`` of the node at key ``path`` (the file it came from, through
        ``extends``); the spec's own file, line 1, without a source map."""
        if self.source is None:
            return self.file, 1, 1
        file, line, col = self.source.locate(path)
        return (self.file if file == "<spec>" else file), line, col

    def render_failure(self, exc: TemplateFailure, message: str) -> SpecwireError:
        """The error for a template that failed while rendering a call: a :class:`SpecError` at
        the template's place when a sandbox check or cap stopped it (rendered size, ``range``,
        exponent, repetition: the spec is at fault, docs/RELIABILITY.md T1), else
        :class:`RequestBuildError` with ``message`` (a missing variable, an unsupported value…)."""
        if not exc.security:
            return RequestBuildError(message)
        file, line, col = self.locate(exc.path)
        return SpecError(f"{self.provider}: {exc}", file=file, line=line, col=col, rule="template")

    def model_info(self, model: str) -> ModelInfo | None:
        """The catalog entry of ``model`` (by id or alias), or ``None``."""
        return self.model_index.get(model)

    def stream_config(self, mode: str | None = None) -> StreamConfig:
        """The stream settings of a named mode (``None``: the default).  Raises ``KeyError``."""
        if mode is None:
            return self.stream
        return self.stream_modes[mode]


class _Compiler:
    def __init__(self) -> None:
        self.problems: list[tuple[tuple[object, ...], str, str]] = []  # (path, rule, message)
        self.serial = 0
        self.profile_params: dict[str, MappingProxyType[str, tuple[ParamCase, ...] | None]] = {}

    def problem(self, path: tuple[object, ...], rule: str, message: str) -> None:
        self.problems.append((path, rule, message))

    def jp(self, expr: Any, path: tuple[object, ...]) -> JPath | None:
        if expr is None:
            return None
        try:
            return compile_jpath(expr)
        except JPathError as exc:
            self.problem(path, "jmespath", str(exc))
            return None

    def tree(self, tree: Any, path: tuple[object, ...]) -> CompiledTree:
        try:
            return compile_tree(tree, ".".join(str(p) for p in path), path)
        except TemplateFailure as exc:
            self.problem(exc.path, "template", exc.detail)
            return compile_tree(None)

    def url(self, source: Any, kind: str, path: tuple[object, ...]) -> UrlTemplate:
        """A ``base_url``/``path`` template: values encoded for their place (:mod:`specwire.urls`)."""
        try:
            return compile_url(source, kind, ".".join(str(p) for p in path), path)
        except TemplateFailure as exc:
            self.problem(exc.path, "template", exc.detail)
            return compile_url("", kind)

    def expr(self, source: Any, path: tuple[object, ...]) -> Any:
        if source is None:
            return None
        try:
            return compile_expression(str(source), ".".join(str(p) for p in path), path)
        except TemplateFailure as exc:
            self.problem(path, "template", exc.detail)
            return None

    # ---------------------------------------------------------------- rules
    def rule(self, name: str, data: dict[str, Any], path: tuple[object, ...]) -> Rule:
        self.serial += 1
        cases = tuple(self.rule(f"{name}[{i}]", c, path + ("cases", i)) for i, c in enumerate(data.get("cases") or ()))
        fields = tuple((f, jp) for f in RULE_FIELDS if f in data and (jp := self.jp(data[f], path + (f,))) is not None)
        sets: tuple[tuple[str, JPath], ...] = tuple((k, jp) for k, v in (data.get("set") or {}).items() if (jp := self.jp(v, path + ("set", k))) is not None)
        appends: tuple[tuple[str, JPath], ...] = tuple((k, jp) for k, v in (data.get("append") or {}).items() if (jp := self.jp(v, path + ("append", k))) is not None)
        when = self.jp(data.get("when"), path + ("when",))
        return Rule(
            name=name,
            emit=data.get("emit"),
            event=data.get("event"),
            when=when,
            once=bool(data.get("once", False)),
            foreach=self.jp(data.get("foreach"), path + ("foreach",)),
            cases=cases,
            fields=fields,
            set=sets,
            serial=self.serial,
            append=appends,
            case_index=build_index(cases, [conditions(c.when.parsed) if c.when is not None else set() for c in cases]) if cases else None,
            plan=tuple((f, None if when is not None and jp.source == when.source else jp.fn) for f, jp in fields),
        )

    def ruleset(self, events: dict[str, Any] | None, unmatched: str, path: tuple[object, ...]) -> RuleSet:
        rules = tuple(self.rule(n, r, path + (n,)) for n, r in (events or {}).items() if r is not None)
        return ruleset(rules, unmatched)

    def stream(self, data: dict[str, Any], rules: RuleSet, path: tuple[object, ...]) -> StreamConfig:
        return StreamConfig(
            framing=data.get("framing", "sse"),
            path=self.url(data["path"], "path", path + ("path",)) if "path" in data else None,
            query=tuple((k, self.tree(v, path + ("query", k))) for k, v in (data.get("query") or {}).items()),
            body=self.tree(data["body"], path + ("body",)) if "body" in data else None,
            done_data=data.get("done_data"),
            complete_on=frozenset(data.get("complete_on") or ("done",)),
            rules=rules,
            done_after=frozenset(data.get("done_after") or ()),
        )

    # ---------------------------------------------------------------- request
    def part_rules(self, value: Any, path: tuple[object, ...]) -> tuple[PartRule, ...]:
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            p = path + ((i,) if isinstance(value, list) else ())
            out.append(
                PartRule(
                    when=self.expr(item.get("when"), p + ("when",)),
                    value=self.tree(item["value"], p + ("value",)) if "value" in item else None,
                    into=item.get("into"),
                    as_message=self.tree(item["as_message"], p + ("as_message",)) if "as_message" in item else None,
                    drop=bool(item.get("drop", False)),
                    error=item.get("error"),
                    after=self.tree(item["after"], p + ("after",)) if "after" in item else None,
                )
            )
        return tuple(out)

    def request(self, data: dict[str, Any]) -> RequestConfig:
        p: tuple[object, ...] = ("request",)
        system = data.get("system") or {}
        return RequestConfig(
            method=data.get("method", "POST"),
            path=self.url(data.get("path", ""), "path", p + ("path",)),
            query=tuple((k, self.tree(v, p + ("query", k))) for k, v in (data.get("query") or {}).items()),
            body=self.tree(data.get("body", {}), p + ("body",)),
            system_placement=system.get("placement", "messages"),
            system_join=system.get("join", "\n\n"),
            roles=MappingProxyType(dict(data.get("roles") or {})),
            merge_key=data.get("merge_consecutive"),
            message=self.tree(data.get("message", {"role": "{{ role }}", "content": "{{ parts }}"}), p + ("message",)),
            message_by_role=MappingProxyType({r: self.tree(t, p + ("message_by_role", r)) for r, t in (data.get("message_by_role") or {}).items()}),
            parts=MappingProxyType({k: self.part_rules(v, p + ("parts", k)) for k, v in (data.get("parts") or {}).items()}),
            tool=self.tree(data["tool"], p + ("tool",)) if "tool" in data else None,
            tool_after=self.tree(data["tool_after"], p + ("tool_after",)) if "tool_after" in data else None,
        )

    # ---------------------------------------------------------------- params
    def param(self, value: Any, path: tuple[object, ...]) -> tuple[ParamCase, ...] | None:
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            p = path + ((i,) if isinstance(value, list) else ())
            sets = list((k, self.tree(v, p + ("set", k))) for k, v in (item.get("set") or {}).items())
            if "to" in item:
                sets.insert(0, (item["to"], self.tree(item.get("value", "{{ value }}"), p + ("value",))))
            clamp = item.get("clamp")
            out.append(
                ParamCase(
                    when=self.expr(item.get("when"), p + ("when",)),
                    sets=tuple(sets),
                    set_defaults=tuple((k, self.tree(v, p + ("set_default", k))) for k, v in (item.get("set_default") or {}).items()),
                    clamp=(float(clamp[0]), float(clamp[1])) if clamp else None,
                    max_items=item.get("max_items"),
                    default=self.tree(item["default"], p + ("default",)) if "default" in item else None,
                    required=bool(item.get("required", False)),
                    unsupported=item.get("unsupported"),
                    warn=item.get("warn"),
                    strict_schema=item.get("strict_schema"),
                    output_tool=self.tree(item["output_tool"], p + ("output_tool",)) if "output_tool" in item else None,
                    error=item.get("error"),
                    appends=tuple((k, self.tree(v, p + ("append", k))) for k, v in (item.get("append") or {}).items()),
                )
            )
        return tuple(out)

    def params(self, data: dict[str, Any] | None, path: tuple[object, ...]) -> MappingProxyType[str, tuple[ParamCase, ...] | None]:
        return MappingProxyType({k: self.param(v, path + (k,)) for k, v in (data or {}).items()})

    # ---------------------------------------------------------------- catalog
    def pricing(self, data: dict[str, Any] | None, path: tuple[object, ...] = ("pricing",)) -> Pricing | None:
        if not data:
            return None
        tiers = sorted(
            ((t["above_input_tokens"], self.pricing({k: v for k, v in t.items() if k != "above_input_tokens"}, path + ("tiers", i)))
             for i, t in enumerate(data.get("tiers") or [])),
            key=lambda t: -t[0],
        )

        def rules(key: str, value_key: str) -> tuple[PriceRule, ...]:
            return tuple(
                PriceRule(self.jp(r.get("when"), path + (key, i, "when")), float(r[value_key]), r.get("note"))
                for i, r in enumerate(data.get(key) or ())
            )

        return Pricing(
            input=data.get("input"), output=data.get("output"), cache_read=data.get("cache_read"),
            cache_write=data.get("cache_write"), tiers=tuple((n, p) for n, p in tiers if p is not None),
            source=data.get("source"), as_of=data.get("as_of"),
            extra=MappingProxyType({k: data[k] for k in TOKEN_PRICES if k in data}),
            per_request=data.get("per_request"), request_fees=rules("request_fees", "usd"),
            per_1k_searches=data.get("per_1k_searches"), multipliers=rules("multipliers", "factor"),
        )

    def model(self, data: dict[str, Any], path: tuple[object, ...], profiles: dict[str, Any]) -> ModelInfo:
        own = data.get("params")
        params = self.params(own, path + ("params",)) if own else _NO_PARAMS
        name = data.get("profile")
        if name is not None:
            if name not in profiles:
                self.problem(path + ("profile",), "unknown-profile", f"profile {name!r} is not defined in `profiles` (defined: {', '.join(profiles) or 'none'})")
            else:
                base = self.profile_params.get(name)
                if base is None:
                    base = self.profile_params[name] = self.params((profiles[name] or {}).get("params"), ("profiles", name, "params"))
                params = MappingProxyType({**base, **params}) if params else base
        return ModelInfo(
            id=data["id"],
            aliases=tuple(data.get("aliases") or ()),
            display_name=data.get("display_name"),
            context_window=data.get("context_window"),
            max_output_tokens=data.get("max_output_tokens"),
            capabilities=MappingProxyType(dict(data.get("capabilities") or {})),
            pricing=self.pricing(data.get("pricing"), path + ("pricing",)),
            deprecated=MappingProxyType(dict(data["deprecated"])) if data.get("deprecated") else None,
            params=params,
            source=data.get("source"), as_of=data.get("as_of"), catalog=data.get("catalog"),
        )


def ruleset(rules: tuple[Rule, ...], unmatched: str) -> RuleSet:
    """Rules (file order) indexed by event name, each event's rules then by a discriminating field."""
    atoms = {r.serial: rule_conditions(r.when, r.foreach) for r in rules}

    def index(selected: tuple[Rule, ...]) -> Index[Rule]:
        return build_index(selected, [atoms[r.serial] for r in selected], envelope=True)

    names = {r.event for r in rules if r.event is not None}
    by_event = {n: index(tuple(r for r in rules if r.event in (None, n))) for n in names}
    return RuleSet(rules, MappingProxyType(by_event), index(tuple(r for r in rules if r.event is None)), unmatched)


_NO_PARAMS: MappingProxyType[str, tuple[ParamCase, ...] | None] = MappingProxyType({})


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def compile_spec(data: dict[str, Any], file: str = "<spec>", source: SourceMap | None = None) -> tuple[CompiledSpec, list[tuple[tuple[object, ...], str, str]]]:
    """Compile a merged, schema-valid spec tree.  Returns the spec and the problems found, each
    ``(key path, rule, message)``; a spec with problems must not be used.  ``source`` (the
    loader's map) lets the spec locate a template that fails while rendering."""
    c = _Compiler()
    stream_data = dict(data.get("stream") or {})
    modes = stream_data.pop("modes", None) or {}
    events = stream_data.pop("events", None)
    stream_rules = c.ruleset(events, stream_data.pop("unmatched", "ignore"), ("stream", "events"))
    stream = c.stream(stream_data, stream_rules, ("stream",))
    stream_modes = {name: c.stream(deep_merge(stream_data, m), stream_rules, ("stream", "modes", name)) for name, m in modes.items()}
    response_data = data.get("response") or {}
    if response_data.get("use_stream_events"):
        response = RuleSet(stream_rules.rules, stream_rules.by_event, stream_rules.generic, response_data.get("unmatched", "ignore"))
    else:
        response = c.ruleset(response_data.get("events"), response_data.get("unmatched", "ignore"), ("response", "events"))

    finish: dict[str, tuple[str, str]] = {}
    for raw, target in (data.get("finish_reasons") or {}).items():
        finish[raw] = (target, target) if isinstance(target, str) else (target["default"], target.get("with_tool_calls", target["default"]))

    usage = data.get("usage") or {}
    usage_fields = tuple(
        (name, tuple(jp for i, e in enumerate(_names(v)) if (jp := c.jp(e, ("usage", "fields", name, i))) is not None))
        for name, v in (usage.get("fields") or {}).items()
    )
    errors = data.get("errors") or {}
    classes = tuple(
        ErrorClassRule(
            name=n,
            when=c.jp(r.get("when"), ("errors", "classes", n, "when")),
            statuses=frozenset([r["status"]] if isinstance(r.get("status"), int) else r["status"]) if r.get("status") is not None else None,
            cls=r["class"],
        )
        for n, r in (errors.get("classes") or {}).items()
        if r is not None
    )
    profiles = data.get("profiles") or {}
    for name, profile in profiles.items():  # compiled once, shared by every model naming it (problems reported at the profile)
        c.profile_params[name] = c.params((profile or {}).get("params"), ("profiles", name, "params"))
    models = tuple(c.model(m, ("models", i), profiles) for i, m in enumerate(data.get("models") or ()))
    index: dict[str, ModelInfo] = {}
    for m in models:
        for name in (m.id, *m.aliases):
            if name in index:
                c.problem(("models",), "duplicate-model", f"model id or alias {name!r} appears twice")
            index[name] = m
    env = data.get("env") or {}
    spec = CompiledSpec(
        provider=data["provider"],
        display_name=data.get("display_name", data["provider"]),
        docs=data.get("docs"),
        metadata_key=data.get("metadata_key", data["provider"]),
        base_url=c.url(data.get("base_url", ""), "base_url", ("base_url",)),
        env_api_key=_names(env.get("api_key")),
        env_base_url=_names(env.get("base_url")),
        settings=MappingProxyType(dict(data.get("settings") or {})),
        auth=MappingProxyType(dict(data.get("auth") or {"scheme": "none"})),
        headers=tuple((k, c.tree(v, ("headers", k))) for k, v in (data.get("headers") or {}).items()),
        request=c.request(data.get("request") or {}),
        params=c.params(data.get("params"), ("params",)),
        stream=stream,
        stream_modes=MappingProxyType(stream_modes),
        response=response,
        finish_reasons=MappingProxyType(finish),
        usage=UsageConfig(
            usage_fields,
            bool(usage.get("input_includes_cache", True)),
            bool(usage.get("output_includes_reasoning", True)),
            bool(usage.get("snapshot", False)),
            tuple(
                (name, tuple(jp for i, e in enumerate(_names(v)) if (jp := c.jp(e, ("usage", "billed_fields", name, i))) is not None))
                for name, v in (usage.get("billed_fields") or {}).items()
            ),
            tuple(k for k, v in (usage.get("raw_fields") or {}).items() if v is not None),
        ),
        errors=ErrorsConfig(
            message=c.jp(errors.get("message"), ("errors", "message")),
            code=c.jp(errors.get("code"), ("errors", "code")),
            type=c.jp(errors.get("type"), ("errors", "type")),
            param=c.jp(errors.get("param"), ("errors", "param")),
            request_id=c.jp(errors.get("request_id"), ("errors", "request_id")),
            retry_after=c.jp(errors.get("retry_after"), ("errors", "retry_after")),
            request_id_headers=tuple(errors.get("request_id_headers") or ()),
            classes=classes,
            type_header=errors.get("type_header"),
        ),
        models=models,
        model_index=MappingProxyType(index),
        file=file,
        data=data,
        retry_statuses=frozenset((data.get("retry") or {})["statuses"]) if (data.get("retry") or {}).get("statuses") is not None else None,
        idempotency_header=(data.get("retry") or {}).get("idempotency_header"),
        source=source,
        operations=compile_operations(c, data.get("operations")),
        chat=data.get("chat") is not False,
    )
    return spec, c.problems
