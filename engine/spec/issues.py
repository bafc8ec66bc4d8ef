"""One lint finding: :class:`SpecIssue` (yamllint's ``LintProblem``, 1-based line and column)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["VALUE_KEEPING_RULES", "SourceMap", "SpecIssue"]

#: The loader's findings after which the tree still holds every value the file wrote (as YAML
#: loads it, or as the plain string): the spec is refused, but its other layers (file rules,
#: schema, semantics) can still be checked and reported in the same run.  After any other error
#: (syntax, depth, tags, anchors, size…) a value is missing and the file's checks stop there.
VALUE_KEEPING_RULES = frozenset({"duplicate-key", "yaml-date", "yaml-truthy", "yaml-octal", "yaml-sexagesimal", "yaml-value"})


@dataclass(frozen=True, slots=True)
class SpecIssue:
    """A problem in a spec file.  ``rule`` is a key of :data:`specwire.vocabulary.LINT_RULES` (of
    :data:`~specwire.vocabulary.ROUTER_LINT_RULES` for a router config); ``path`` is the key path
    inside the spec (``stream.events.text``)."""

    file: str
    line: int
    col: int
    rule: str
    message: str
    level: Literal["error", "warning"] = "error"
    path: str = ""

    def format(self) -> str:
        """``file:line:col: level [rule] message`` (the ``validate-spec`` output format)."""
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.col}: {self.level} [{self.rule}] {where}{self.message}"


class SourceMap:
    """Where each node of a loaded spec came from: key path (a tuple of keys and list indices) →
    ``(file, line, col)``, 1-based.  Specs merged through ``extends`` overlay their maps."""

    __slots__ = ("_keys", "_marks")

    def __init__(
        self,
        marks: dict[tuple[object, ...], tuple[str, int, int]] | None = None,
        keys: dict[tuple[object, ...], tuple[str, int, int]] | None = None,
    ) -> None:
        self._marks = marks or {}
        self._keys = keys or {}

    def add(self, path: tuple[object, ...], file: str, line: int, col: int) -> None:
        """Record where the *value* at ``path`` starts."""
        self._marks[path] = (file, line, col)

    def add_key(self, path: tuple[object, ...], file: str, line: int, col: int) -> None:
        """Record where the *key* naming ``path`` stands."""
        self._keys[path] = (file, line, col)

    def overlay(self, other: SourceMap) -> SourceMap:
        """A new map: this one with ``other``'s entries on top."""
        return SourceMap({**self._marks, **other._marks}, {**self._keys, **other._keys})

    def moved(self, moves: dict[tuple[object, ...], tuple[object, ...]]) -> SourceMap:
        """A new map of the entries at or under the keys of ``moves`` (prefixes of one length),
        each re-rooted at its value (imported catalog entries placed in a spec's ``models``)."""
        n = len(next(iter(moves))) if moves else 0
        return SourceMap(
            {moves[k[:n]] + k[n:]: v for k, v in self._marks.items() if k[:n] in moves},
            {moves[k[:n]] + k[n:]: v for k, v in self._keys.items() if k[:n] in moves},
        )

    def locate_key(self, path: tuple[object, ...] | list[object]) -> tuple[str, int, int]:
        """The position of the key naming ``path`` (for "unknown key" errors), else :meth:`locate`."""
        key = tuple(path)
        return self._keys.get(key) or self.locate(key)

    def locate(self, path: tuple[object, ...] | list[object]) -> tuple[str, int, int]:
        """The position of ``path``, or of its deepest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self._marks:
                return self._marks[key]
            key = key[:-1]
        return self._marks.get((), ("<spec>", 1, 1))
