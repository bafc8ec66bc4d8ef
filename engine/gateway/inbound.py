"""Inbound messages as data: a wire API's conversation (content blocks, typed items, a top-level
system prompt) read into specwire's unified :class:`~specwire.types.Message` list.

An endpoint whose messages are not in specwire's own (OpenAI Chat Completions) shape declares, in
its spec's ``serve.endpoints.NAME.request`` section, how to read them (providers.d/anthropic.yaml
has the reference example, Anthropic's Messages API)::

    request:
      messages: FIELD                the wire field holding the conversation (as before)
      system: FIELD | {field: FIELD, role: ROLE}
                                     a field whose value opens the conversation as one message of
                                     ROLE (default system): a string, or a list of blocks (below)
      items:                         how each entry of the messages field is read
        kind: FIELD                  the field naming an entry's kind; an entry without it (or
                                     without ``kind:`` declared) is a message; any other kind is
                                     read by the ``blocks`` rule of that name
        text: ROLE                   a plain string instead of a list: one message of this role
                                     (absent: the field must be a list)
        message:                     an entry that is a message
          role: FIELD                its role field (default ``role``)
          roles: {WIRE: UNIFIED}     the roles it may have, each to its unified role (a list
                                     keeps the names); any other: 400
          content: FIELD             its content field (default ``content``): a string (one
                                     text part) or a list of blocks
      blocks:                        content blocks by their ``type`` field, and non-message
                                     entries by their ``kind`` field
        TYPE: RULE | [RULE, ...]     the first rule whose ``when`` holds; none: 400

    RULE:
      when: EXPR                     a Jinja2 condition (over ``block`` and ``role``)
      part: TREE                     the unified part (a dict with its ``type``: text, image,
                                     document, audio, reasoning, tool_call, tool_result, provider;
                                     :mod:`specwire.parts`), over ``block`` and ``role``
      nested: {FIELD: WIRE_FIELD}    a part field holding blocks itself (a tool result's content):
                                     the block's WIRE_FIELD read with this same table (a string
                                     stays a string; absent: the part's default)
      json: {FIELD: WIRE_FIELD}      a part field read from a wire field holding JSON text (a
                                     function call's arguments): parsed; text that is not valid
                                     JSON leaves the field unset (the part may keep the text, e.g.
                                     as ``arguments_text``: a model's cut-off arguments echoed
                                     back); not a string: 400
      role: ROLE                     the part goes in a message of its own with this role (a tool
                                     result: ``tool``); the message it was in goes on after it
      merge: true                    (with role) join the message before when it has this role
                                     (consecutive tool calls: one assistant turn)
      drop: true                     the block is read and left out
      refuse: TEXT                   the block is refused: 400 with this text

A message's parts stay in it in order; a part whose rule has ``role`` closes the message so far
and goes in its own (an Anthropic user turn ``[tool_result, tool_result, text]`` becomes ``tool``,
``tool``, ``user``); a message left with no parts is left out.  A non-message entry (a kind other
than ``message``) must have a rule with ``role``.  Typed items, as the OpenAI Responses API's
input list has them (tests/gateway/test_inbound.py has this section at work)::

    system: {field: instructions, role: developer}
    items: {kind: type, text: user, message: {roles: [user, assistant, system, developer]}}
    blocks:
      input_text: {part: {type: text, text: "{{ block.text }}"}}
      output_text: {part: {type: text, text: "{{ block.text }}"}}
      function_call:
        role: assistant
        merge: true
        part: {type: tool_call, tool_call_id: "{{ block.call_id }}", tool_name: "{{ block.name }}",
               arguments_text: "{{ block.arguments }}"}
        json: {arguments: arguments}
      function_call_output:
        role: tool
        part: {type: tool_result, tool_call_id: "{{ block.call_id }}"}
        nested: {content: output}

Template context: ``block`` is the wire block (a dict; a top-level key it lacks reads as ``none``,
so ``{{ block.cache_control or omit }}`` works; nested keys follow Jinja2's strict rules) and
``role`` the unified role of the message it is in (``none`` for an entry outside any message).
Trees and expressions are compiled at load with :func:`specwire.render.compile_tree`, the sandbox
of the request templates.

Errors: a malformed conversation is a :class:`~specwire.gateway.errors.GatewayError` 400
(``invalid_request``) whose ``param`` and message name the wire place at fault
(``messages[1].content[0].type``); a rule that does not compile is a
:class:`~specwire.errors.ConfigError` at load.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from ..parts import AudioPart, DocumentPart, ImagePart, Message, ProviderPart, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from ..render import OMIT, TemplateFailure, compile_expression, compile_tree
from .errors import GatewayError

__all__ = ["INBOUND_KEYS", "Inbound", "RULE_KEYS"]

#: The ``request:`` keys this module reads (besides ``messages``).
INBOUND_KEYS: tuple[str, ...] = ("system", "items", "blocks")
#: The keys of one block rule.
RULE_KEYS: tuple[str, ...] = ("when", "part", "nested", "json", "role", "merge", "drop", "refuse")
#: The unified roles a rule or ``roles`` may name.
ROLES: tuple[str, ...] = ("system", "developer", "user", "assistant", "tool")

_PARTS: dict[str, type[BaseModel]] = {
    cls.model_fields["type"].default: cls
    for cls in (TextPart, ImagePart, DocumentPart, AudioPart, ReasoningPart, ToolCallPart, ToolResultPart, ProviderPart)
}


class _Block(dict[str, Any]):
    """A wire block as templates see it: a missing top-level key reads as ``None``."""

    def __missing__(self, key: str) -> None:
        return None


def _bad(where: str, message: str) -> GatewayError:
    return GatewayError(400, "invalid_request", f"{where}: {message}", param=where)


@dataclass
class _Rule:
    when: Any = None
    part: Any = None
    nested: dict[str, str] = field(default_factory=dict)
    json: dict[str, str] = field(default_factory=dict)
    role: str | None = None
    merge: bool = False
    drop: bool = False
    refuse: str | None = None


def _role(value: Any, where: str) -> str:
    if value not in ROLES:
        raise ConfigError(f"{where}: {value!r} is not one of {', '.join(ROLES)}")
    return str(value)


def _rule(data: Any, where: str) -> _Rule:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: a rule is a mapping")
    unknown = sorted(set(data) - set(RULE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (a rule takes {', '.join(RULE_KEYS)})")
    if sum(1 for k in ("part", "drop", "refuse") if data.get(k)) != 1:
        raise ConfigError(f"{where}: a rule has exactly one of part, drop, refuse")
    for key in ("nested", "json"):
        value = data.get(key) or {}
        if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ConfigError(f"{where}.{key}: a mapping of part field to wire field")
    return _Rule(
        when=compile_expression(data["when"], f"{where}.when") if "when" in data else None,
        part=compile_tree(data["part"], f"{where}.part") if data.get("part") is not None else None,
        nested=dict(data.get("nested") or {}), json=dict(data.get("json") or {}),
        role=_role(data["role"], f"{where}.role") if data.get("role") is not None else None,
        merge=bool(data.get("merge")), drop=bool(data.get("drop")),
        refuse=str(data["refuse"]) if data.get("refuse") else None,
    )


class _Out:
    """The messages built so far: ``current`` is the open message's (role, parts)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[Any]]] = []  # (role, parts)
        self.role: str | None = None
        self.parts: list[Any] = []

    def open(self, role: str) -> None:
        self.flush()
        self.role, self.parts = role, []

    def flush(self) -> None:
        if self.role is not None and self.parts:
            self.messages.append((self.role, self.parts))
        self.parts = []

    def alone(self, role: str, part: Any, merge: bool) -> None:
        """A part in a message of its own (after the open message's parts so far)."""
        self.flush()
        if merge and self.messages and self.messages[-1][0] == role:
            self.messages[-1][1].append(part)
        else:
            self.messages.append((role, [part]))


class Inbound:
    """A compiled inbound section (the ``request:`` keys of the module docstring); ``where`` is its
    place in the spec (``serve.endpoints.NAME.request``).  Raises
    :class:`~specwire.errors.ConfigError` for a section that does not compile."""

    def __init__(self, request: Mapping[str, Any], where: str) -> None:
        try:
            self._compile(request, where)
        except TemplateFailure as exc:
            raise ConfigError(str(exc)) from None

    def _compile(self, request: Mapping[str, Any], where: str) -> None:
        system = request.get("system")
        if isinstance(system, Mapping):
            self.system_field: str | None = system.get("field")
            self.system_role = _role(system.get("role", "system"), f"{where}.system.role")
        else:
            self.system_field, self.system_role = system, "system"
        items = request.get("items") or {}
        message = items.get("message") or {}
        self.kind_field: str | None = items.get("kind")
        self.text_role = _role(items["text"], f"{where}.items.text") if items.get("text") else None
        self.role_field: str = message.get("role", "role")
        self.content_field: str = message.get("content", "content")
        roles = message.get("roles") or {r: r for r in ("user", "assistant")}
        roles = {r: r for r in roles} if isinstance(roles, list) else dict(roles)
        self.roles: dict[str, str] = {str(k): _role(v, f"{where}.items.message.roles.{k}") for k, v in roles.items()}
        self.blocks: dict[str, list[_Rule]] = {}
        for kind, rules in (request.get("blocks") or {}).items():
            listed = rules if isinstance(rules, list) else [rules]
            self.blocks[str(kind)] = [_rule(r, f"{where}.blocks.{kind}[{i}]") for i, r in enumerate(listed)]

    @property
    def wire_fields(self) -> tuple[str, ...]:
        """The request fields this section reads (besides the messages field)."""
        return (self.system_field,) if self.system_field else ()

    # ------------------------------------------------------------------ reading
    def messages(self, value: Any, field_name: str, system: Any = None) -> list[Message]:
        """The unified messages of a request: ``value`` (its messages field, named
        ``field_name``) and ``system`` (the system field's value, or ``None``).  Raises
        :class:`GatewayError` 400 naming the wire place at fault."""
        out = _Out()
        if system is not None:
            where = self.system_field or "system"
            out.open(self.system_role)
            out.parts.extend(self._content(system, where, self.system_role))
            out.flush()
        if isinstance(value, str) and self.text_role is not None:
            out.open(self.text_role)
            out.parts.append(TextPart(text=value))
            out.flush()
        elif not isinstance(value, list) or not value:
            raise GatewayError(400, "invalid_request", f"{field_name} must be a non-empty array", param=field_name)
        else:
            for i, entry in enumerate(value):
                self._entry(entry, f"{field_name}[{i}]", out)
        out.flush()
        return [Message(role=role, content=parts) for role, parts in out.messages]  # type: ignore[arg-type]

    def _entry(self, entry: Any, where: str, out: _Out) -> None:
        if not isinstance(entry, dict):
            raise _bad(where, f"expected an object, got {type(entry).__name__}")
        kind = entry.get(self.kind_field) if self.kind_field else None
        if kind is None or kind == "message":
            wire_role = entry.get(self.role_field)
            if wire_role not in self.roles:
                allowed = ", ".join(repr(r) for r in self.roles)
                raise _bad(f"{where}.{self.role_field}", f"expected one of {allowed}, got {wire_role!r}")
            role = self.roles[wire_role]
            out.open(role)
            content = entry.get(self.content_field)
            if content is None:
                raise _bad(f"{where}.{self.content_field}", "a message needs content")
            for part, alone in self._blocks(content, f"{where}.{self.content_field}", role):
                if alone is None:
                    out.parts.append(part)
                else:
                    out.alone(alone[0], part, alone[1])
            out.flush()
            return
        out.flush()
        out.role = None
        for part, alone in self._block(entry, where, None, self.kind_field or "type"):
            if alone is None:
                raise _bad(f"{where}.{self.kind_field}", f"an entry of kind {kind!r} belongs inside a message")
            out.alone(alone[0], part, alone[1])

    def _content(self, content: Any, where: str, role: str | None) -> list[Any]:
        """Content that stays in one message: a string, or blocks with no ``role`` rule."""
        parts = []
        for part, alone in self._blocks(content, where, role):
            if alone is not None:
                raise _bad(where, f"a {alone[0]} block cannot stand here")
            parts.append(part)
        return parts

    def _blocks(self, content: Any, where: str, role: str | None) -> list[tuple[Any, tuple[str, bool] | None]]:
        if isinstance(content, str):
            return [(TextPart(text=content), None)] if content else []
        if not isinstance(content, list):
            raise _bad(where, f"expected a string or an array of blocks, got {type(content).__name__}")
        out: list[tuple[Any, tuple[str, bool] | None]] = []
        for j, block in enumerate(content):
            out.extend(self._block(block, f"{where}[{j}]", role))
        return out

    def _block(self, block: Any, where: str, role: str | None, key: str = "type") -> list[tuple[Any, tuple[str, bool] | None]]:
        """The part of one block (``key``: the field naming its kind), with where it goes."""
        if not isinstance(block, dict):
            raise _bad(where, f"expected a block (an object), got {type(block).__name__}")
        kind = block.get(key)
        rules = self.blocks.get(kind) if isinstance(kind, str) else None
        if rules is None:
            known = ", ".join(repr(k) for k in self.blocks)
            raise _bad(f"{where}.{key}", f"expected one of {known}, got {kind!r}")
        ctx = {"block": _Block(block), "role": role}
        for rule in rules:
            if rule.when is not None and not self._eval(rule.when, ctx, where):
                continue
            if rule.refuse is not None:
                raise _bad(where, rule.refuse)
            if rule.drop:
                return []
            data = self._eval(rule.part, ctx, where)
            if not isinstance(data, dict):
                raise _bad(where, "this block is not supported")
            for name, wire in rule.nested.items():
                inner = block.get(wire)
                if inner is not None:
                    data[name] = inner if isinstance(inner, str) else self._content(inner, f"{where}.{wire}", role)
            for name, wire in rule.json.items():
                data[name] = _json(block.get(wire), f"{where}.{wire}")
            return [(_part(data, where), (rule.role, rule.merge) if rule.role else None)]
        raise _bad(where, f"a {kind} block of this form is not supported")

    @staticmethod
    def _eval(compiled: Any, ctx: Mapping[str, Any], where: str) -> Any:
        try:
            value = compiled.render(ctx)
        except TemplateFailure as exc:
            if exc.security:
                raise GatewayError(500, "server", f"the gateway's wire template failed: {exc}") from None
            raise _bad(where, f"a malformed block ({exc.detail})") from None
        return None if value is OMIT else value


def _json(text: Any, where: str) -> Any:
    from ..safejson import loads

    if not isinstance(text, str):
        raise _bad(where, f"expected JSON text, got {type(text).__name__}")
    try:
        return loads(text) if text.strip() else {}
    except ValueError:  # JSONDepthError included: left unset, the text is what the part keeps
        return None


def _part(data: dict[str, Any], where: str) -> Any:
    cls = _PARTS.get(data.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise GatewayError(500, "server", f"the gateway's inbound rule for {where} makes no known part type")
    from ..validate import explain

    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise _bad(where, explain(exc, model=cls)) from None
