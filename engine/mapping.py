"""Frames → raw events, through a spec's compiled event rules.  Pure.

For each frame the mapper evaluates, in file order, the rules that can match its SSE event name
(:meth:`RuleSet.for_event`).  A rule fires when its ``when`` holds (JMESPath truthiness: ``null``,
``false``, ``""``, ``[]`` and ``{}`` are false; ``0`` is true); a ``foreach`` rule fires once per
item, evaluating ``when``, ``cases`` and fields against the item.  Every rule that holds fires.
A ``once`` rule fires at most once per response.

A raw event is ``(emit, fields, meta)``: ``fields`` are the rule's JMESPath fields evaluated
(``None`` when a path is missing) and ``meta`` the non-null values of its ``set`` map (provider
metadata for the part).  A ``usage`` rule's object is turned into numbers here, with the spec's
``usage.fields`` (a list of expressions sums the non-null values).
"""

from __future__ import annotations

from typing import Any

from .jpath import JPathError
from .spec.compile import Rule, RuleSet, UsageConfig

__all__ = ["EventMapper", "RawEvent", "truthy"]

RawEvent = tuple[str, dict[str, Any], dict[str, Any]]


def truthy(value: Any) -> bool:
    """JMESPath truthiness (https://jmespath.org/specification.html#or-expressions)."""
    return not (value is None or value is False or value == "" or value == [] or value == {})


class MappingFailure(Exception):
    """A rule could not be evaluated against a frame (rule name and reason)."""


class EventMapper:
    """Stateful only for ``once`` rules; create one per response."""

    __slots__ = ("_fired", "_rules", "_usage")

    def __init__(self, rules: RuleSet, usage: UsageConfig) -> None:
        self._rules = rules
        self._usage = usage
        self._fired: set[int] = set()

    @property
    def unmatched(self) -> str:
        return self._rules.unmatched

    def map(self, event: str | None, data: Any, headers: dict[str, Any] | None = None) -> list[RawEvent]:
        """Raw events for one frame; an empty list means no rule matched.  Rules see the frame as
        ``{event, data, headers}``."""
        root = {"event": event, "data": data, "headers": headers}
        out: list[RawEvent] = []
        for rule in self._rules.for_event(event):
            if rule.once and rule.serial in self._fired:
                continue
            try:
                fired = self._apply(rule, root, out)
            except JPathError as exc:
                raise MappingFailure(f"rule {rule.name!r}: {exc}") from None
            if fired and rule.once:
                self._fired.add(rule.serial)
        return out

    def _apply(self, rule: Rule, root: Any, out: list[RawEvent]) -> bool:
        if rule.foreach is None:
            if rule.when is not None and not truthy(rule.when.search(root)):
                return False
            if rule.emit is not None:
                out.append(self._event(rule, root))
            return True
        items = rule.foreach.search(root)
        if not isinstance(items, list):
            return False
        fired = False
        for item in items:
            if rule.cases:
                for case in rule.cases:
                    if case.when is None or truthy(case.when.search(item)):
                        if case.emit is not None:
                            out.append(self._event(case, item))
                        fired = True
                        break
            elif rule.when is None or truthy(rule.when.search(item)):
                if rule.emit is not None:
                    out.append(self._event(rule, item))
                fired = True
        return fired

    def _event(self, rule: Rule, root: Any) -> RawEvent:
        fields = {name: expr.search(root) for name, expr in rule.fields}
        meta = {}
        for key, expr in rule.set:
            value = expr.search(root)
            if value is not None:
                meta[key] = value
        if rule.emit == "usage":
            obj = fields.get("usage")
            if isinstance(obj, dict):
                fields = {**self.usage_numbers(obj), **{k: v for k, v in fields.items() if k != "usage"}, "raw": obj}
        return (rule.emit or "ignore", fields, meta)

    def usage_numbers(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A provider usage object → the raw (provider-convention) numbers, per ``usage.fields``."""
        out: dict[str, Any] = {}
        for name, exprs in self._usage.fields:
            total = None
            for expr in exprs:
                value = expr.search(obj)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    total = (total or 0) + int(value)
            out[name] = total
        return out
