"""Frames → raw events, through a spec's compiled event rules.  Pure.

For each frame the mapper evaluates, in file order, the rules that can match it: the rule index
(:meth:`RuleSet.index_for`, :mod:`specwire.dispatch`) picks them by SSE event name and by the
discriminating fields the compiler found in the rules' ``when`` expressions; the result is the
linear scan's (``EventMapper(scan=True)``).  A rule fires when its ``when`` holds (JMESPath truthiness: ``null``,
``false``, ``""``, ``[]`` and ``{}`` are false; ``0`` is true); a ``foreach`` rule fires once per
item, evaluating ``when``, ``cases`` and fields against the item.  Every rule that holds fires.
A ``once`` rule fires at most once per response.

A raw event is ``(emit, fields, meta)``: ``fields`` are the rule's JMESPath fields evaluated
(``None`` when a path is missing) and ``meta`` the non-null values of its ``set`` map (provider
metadata for the part).  A ``usage`` rule's object is turned into numbers here, with the spec's
``usage.fields`` (a list of expressions sums the non-null values).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .jpath import EVALUATION_ERRORS
from .spec.compile import Rule, RuleSet, UsageConfig

__all__ = ["EventMapper", "Observer", "RawEvent", "truthy"]

RawEvent = tuple[str, dict[str, Any], dict[str, Any]]
#: ``observe(rule, fields, meta)``: told about every rule that fires, with its fields as evaluated
#: (before a ``usage`` object becomes numbers) and its non-null ``set`` values (``validate-spec``'s
#: sample check, :mod:`specwire.spec.samples`).
Observer = Callable[[Rule, dict[str, Any], dict[str, Any]], None]


def truthy(value: Any) -> bool:
    """JMESPath truthiness (https://jmespath.org/specification.html#or-expressions)."""
    return not (value is None or value is False or value == "" or value == [] or value == {})


class MappingFailure(Exception):
    """A rule could not be evaluated against a frame (rule name and reason)."""


#: Token counts at or above this are not counts (int64 range); they are left out.
_MAX_COUNT = 2**63


class EventMapper:
    """Stateful only for ``once`` rules; create one per response.  ``observe`` (optional) is called
    for every rule that fires (see :data:`Observer`).  With ``scan``, every rule of the frame's
    event name is evaluated in turn instead of the ones the dispatch index picks (the reference
    the index is tested against; the events are the same)."""

    __slots__ = ("_fired", "_observe", "_rules", "_scan", "_usage")

    def __init__(self, rules: RuleSet, usage: UsageConfig, observe: Observer | None = None, *, scan: bool = False) -> None:
        self._rules = rules
        self._usage = usage
        self._observe = observe
        self._scan = scan
        self._fired: set[int] = set()

    @property
    def unmatched(self) -> str:
        return self._rules.unmatched

    def map(self, event: str | None, data: Any, headers: dict[str, Any] | None = None) -> list[RawEvent]:
        """Raw events for one frame; an empty list means no rule matched.  Rules see the frame as
        ``{event, data, headers}``."""
        root = {"event": event, "data": data, "headers": headers}
        out: list[RawEvent] = []
        fired = self._fired
        rule: Rule | None = None
        rules = self._rules
        index = rules.generic if event is None else rules.by_event.get(event, rules.generic)  # RuleSet.index_for, inlined
        try:
            for rule in index.rules if self._scan else index.select(root):
                if rule.once and rule.serial in fired:
                    continue
                if rule.foreach is None:
                    when = rule.when
                    value = None
                    if when is not None:
                        value = when.fn(root)
                        if value is None or value is False or value == "" or value == [] or value == {}:
                            continue
                    if rule.emit is not None:
                        out.append(self._event(rule, root, value))
                    if rule.once:
                        fired.add(rule.serial)
                elif self._each(rule, root, out) and rule.once:
                    fired.add(rule.serial)
        except EVALUATION_ERRORS as exc:
            raise MappingFailure(f"rule {rule.name if rule else '?'!r}: {exc}") from None
        return out

    def _each(self, rule: Rule, root: Any, out: list[RawEvent]) -> bool:
        items = rule.foreach.fn(root)  # type: ignore[union-attr]
        if not isinstance(items, list):
            return False
        fired = False
        cases = rule.case_index
        for item in items:
            if cases is not None:
                for case in cases.rules if self._scan else cases.select(item):
                    value = None
                    if case.when is not None:
                        value = case.when.fn(item)
                        if value is None or value is False or value == "" or value == [] or value == {}:
                            continue
                    if case.emit is not None:
                        out.append(self._event(case, item, value))
                    fired = True
                    break
            else:
                value = None
                if rule.when is not None:
                    value = rule.when.fn(item)
                    if value is None or value is False or value == "" or value == [] or value == {}:
                        continue
                if rule.emit is not None:
                    out.append(self._event(rule, item, value))
                fired = True
        return fired

    def _event(self, rule: Rule, root: Any, when_value: Any) -> RawEvent:
        fields = {name: when_value if fn is None else fn(root) for name, fn in rule.plan}
        meta = {}
        for key, expr in rule.set:
            value = expr.fn(root)
            if value is not None:
                meta[key] = value
        if rule.append:
            fields["append"] = {k: v for k, expr in rule.append if isinstance(v := expr.fn(root), str)}
        if self._observe is not None:
            self._observe(rule, dict(fields), dict(meta))
        if rule.emit == "usage":
            obj = fields.get("usage")
            if isinstance(obj, dict):
                fields = {**self.usage_numbers(obj), **{k: v for k, v in fields.items() if k != "usage"}, "raw": obj}
                if self._usage.billed_fields:
                    fields["billed"] = self.usage_numbers(obj, self._usage.billed_fields)
        return (rule.emit or "ignore", fields, meta)

    def usage_numbers(self, obj: dict[str, Any], spec_fields: Any = None) -> dict[str, Any]:
        """A provider usage object → the raw (provider-convention) numbers, per ``usage.fields``
        (or the given field map, e.g. ``usage.billed_fields``)."""
        out: dict[str, Any] = {}
        for name, exprs in spec_fields if spec_fields is not None else self._usage.fields:
            total = None
            for expr in exprs:
                value = expr.fn(obj)
                # a count a hostile body makes absurd (1e999, 10**400) is left out, not an OverflowError
                if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < _MAX_COUNT:
                    total = (total or 0) + int(value)
            out[name] = total
        return out
