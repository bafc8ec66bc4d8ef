"""YAML → spec tree, with a source map and the YAML traps caught (docs/RELIABILITY.md T2).

``load_text`` composes the document with PyYAML's *safe* loader and builds the Python tree itself,
so that it can:

* record ``line:col`` for every node (:class:`SourceMap`);
* reject duplicate keys (PyYAML silently keeps the last one);
* flag YAML 1.1 traps: unquoted dates (``2023-06-01`` loads as a ``date``), ``on``/``off``/``yes``/
  ``no`` booleans, octal-looking integers (``010`` loads as 8), base-60 numbers (``1:20`` loads as
  80); dates are kept as strings;
* refuse tags other than the core schema (``!!python/object/apply`` never constructs anything),
  anchors and aliases (alias bombs), merge keys, nesting deeper than :data:`MAX_DEPTH`, and files
  larger than :data:`MAX_FILE_BYTES`.

libyaml's C parser is used when PyYAML was built with it (about ten times faster); the pure-Python
safe loader is the fallback.  Either way only the composer runs: nodes are turned into Python
values here, scalar by scalar, by the *safe* constructor.

Problems are collected as :class:`SpecIssue` values rather than raised one at a time.  Pure: the
only I/O is :func:`load_file` reading the file it is given.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .issues import VALUE_KEEPING_RULES, SourceMap, SpecIssue

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "VALUE_KEEPING_RULES", "LoadedSpec", "load_file", "load_text"]

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 48

_STR = "tag:yaml.org,2002:str"
_CORE_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"
_OCTAL = re.compile(r"^[-+]?0[0-9_]+$")
_TRUE_FALSE = {"true", "false"}


class LoadedSpec:
    """A parsed spec file: ``data`` (plain dicts/lists/scalars), its ``source`` map, and the
    ``issues`` found while loading (empty when the file is clean YAML)."""

    __slots__ = ("data", "file", "issues", "source")

    def __init__(self, file: str, data: Any, source: SourceMap, issues: list[SpecIssue]) -> None:
        self.file, self.data, self.source, self.issues = file, data, source, issues


class _Loader(yaml.SafeLoader):
    """The safe loader, but an alias becomes a recorded problem instead of a shared node."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_marks: list[Any] = []
        self.anchor_marks: list[Any] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event: Any = self.get_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
            self.alias_marks.append(event.start_mark)
            return ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
        if getattr(event, "anchor", None):
            self.anchor_marks.append(event.start_mark)
            event.anchor = None  # never registered, so never resolvable by an alias
        return super().compose_node(parent, index)


def load_file(path: str | Path) -> LoadedSpec:
    """Read and load one spec file (see :func:`load_text`); a file over the size cap is an issue."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            return LoadedSpec(name, None, SourceMap(), [_issue(name, 1, 1, "file-size", f"spec file is {size} bytes; the limit is {MAX_FILE_BYTES}")])
        raw = p.read_bytes()
    except OSError as exc:
        return LoadedSpec(name, None, SourceMap(), [_issue(name, 1, 1, "file", f"cannot read: {exc.strerror or exc}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LoadedSpec(name, None, SourceMap(), [_issue(name, 1, 1, "encoding", f"not UTF-8 ({exc.reason} at byte {exc.start})")])
    return load_text(text, name)


def load_text(text: str, file: str = "<string>") -> LoadedSpec:
    """Load YAML ``text`` into a spec tree with a source map; never executes tags."""
    issues: list[SpecIssue] = []
    source = SourceMap()
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        issues.append(_issue(file, 1, 1, "file-size", f"spec text is larger than {MAX_FILE_BYTES} bytes"))
        return LoadedSpec(file, None, source, issues)
    fast = _compose_fast(text, file, issues)
    if fast is not None:
        node, loader = fast
        if node is None:
            issues.append(_issue(file, 1, 1, "empty", "the file is empty"))
            return LoadedSpec(file, None, source, issues)
        return LoadedSpec(file, _Builder(file, source, issues, loader).build(node, (), 0), source, issues)
    if issues:
        return LoadedSpec(file, None, source, issues)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except (yaml.YAMLError, RecursionError) as exc:
        issues.append(_parse_failure(text, file, exc))
        return LoadedSpec(file, None, source, issues)
    finally:
        loader.dispose()
    for mark in loader.anchor_marks:
        issues.append(_issue(file, mark.line + 1, mark.column + 1, "yaml-anchor", "anchors are not allowed in specs; repeat the value or use `extends`"))
    for mark in loader.alias_marks:
        issues.append(_issue(file, mark.line + 1, mark.column + 1, "yaml-alias", "aliases are not allowed in specs (alias bombs); repeat the value or use `extends`"))
    if node is None:
        issues.append(_issue(file, 1, 1, "empty", "the file is empty"))
        return LoadedSpec(file, None, source, issues)
    builder = _Builder(file, source, issues, loader)
    data = builder.build(node, (), 0)
    return LoadedSpec(file, data, source, issues)


def _compose_fast(text: str, file: str, issues: list[SpecIssue]) -> tuple[Node | None, Any] | None:
    """Compose with libyaml's C parser when PyYAML has it: one event pass to refuse anchors and
    aliases before any node is shared, then the C composer.  ``None`` means: fall back to the
    pure-Python loader (libyaml missing), or stop (``issues`` got a problem)."""
    c_loader = getattr(yaml, "CSafeLoader", None)
    if c_loader is None:
        return None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=c_loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the builder counts the root collection as depth 0
                    mark: Any = event.start_mark  # the parser marks every event it yields
                    issues.append(_issue(file, mark.line + 1, mark.column + 1, "yaml-depth", _TOO_DEEP))
                    return None
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                issues.append(_issue(file, mark.line + 1, mark.column + 1, "yaml-alias", "aliases are not allowed in specs (alias bombs); repeat the value or use `extends`"))
            elif getattr(event, "anchor", None):
                mark = event.start_mark
                issues.append(_issue(file, mark.line + 1, mark.column + 1, "yaml-anchor", "anchors are not allowed in specs; repeat the value or use `extends`"))
        if issues:
            return None
        loader = c_loader(text)
        try:
            return loader.get_single_node(), loader
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError) as exc:
        issues.append(_parse_failure(text, file, exc))
    return None


def _parse_failure(text: str, file: str, exc: BaseException) -> SpecIssue:
    """The finding for a parse that stopped with ``exc``.  Nesting deeper than :data:`MAX_DEPTH`
    before the error's position makes it ``yaml-depth`` at the collection that went too deep,
    whatever the parser said: libyaml (PyYAML 6.0.4) refuses deep nesting itself, as a syntax
    error, and the pure-Python composer runs out of stack (``RecursionError``).  The depth is
    counted here, not read from the parser's message, whose wording is libyaml's to change.
    Anything else is ``yaml-syntax`` at the parser's mark."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None or isinstance(exc, RecursionError):
        deep = _too_deep_before(text, (mark.line, mark.column) if mark is not None else None)
        if deep is not None:
            return _issue(file, deep.line + 1, deep.column + 1, "yaml-depth", _TOO_DEEP)
    if isinstance(exc, RecursionError):
        return _issue(file, 1, 1, "yaml-depth", _TOO_DEEP)
    if mark is not None:
        return _issue(file, mark.line + 1, mark.column + 1, "yaml-syntax", f"{getattr(exc, 'problem', None) or exc}")
    return _issue(file, 1, 1, "yaml-syntax", str(exc))


_OPENS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _too_deep_before(text: str, stop: tuple[int, int] | None) -> Any:
    """The start mark of the first collection nested deeper than :data:`MAX_DEPTH` that opens
    before ``stop`` (0-based ``(line, column)``; ``None``: anywhere), else ``None``.  Counted on
    the pure-Python scanner's tokens, which stops as soon as it has the answer: at most
    ``MAX_DEPTH`` levels in, so a 100,000-level file costs a few thousand tokens.  A token-level
    count can only under-count (an indentless sequence has no start token), never invent depth."""
    depth = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            mark = token.start_mark
            if stop is not None and (mark.line, mark.column) > stop:
                return None
            if isinstance(token, _OPENS):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the root collection is depth 0, as in the builder
                    return mark
            elif isinstance(token, _CLOSES):
                depth -= 1
    except (yaml.YAMLError, RecursionError):
        return None
    return None


class _Builder:
    def __init__(self, file: str, source: SourceMap, issues: list[SpecIssue], loader: Any) -> None:
        self.file, self.source, self.issues, self.loader = file, source, issues, loader

    def build(self, node: Node, path: tuple[object, ...], depth: int) -> Any:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        self.source.add(path, self.file, line, col)
        if depth > MAX_DEPTH:
            self.issues.append(_issue(self.file, line, col, "yaml-depth", _TOO_DEEP))
            return None
        if node.tag not in _CORE_TAGS:
            self.issues.append(_issue(self.file, line, col, "yaml-tag", f"tag {node.tag!r} is not allowed (only plain YAML data)"))
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, line, col)
        if isinstance(node, SequenceNode):
            return [self.build(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        return None  # pragma: no cover - PyYAML has no other node kinds

    def _scalar(self, node: ScalarNode, line: int, col: int) -> Any:
        plain = not node.style  # None (pure-Python composer) or "" (libyaml) for plain scalars
        if node.tag == "tag:yaml.org,2002:timestamp":
            if plain:
                self.issues.append(_issue(self.file, line, col, "yaml-date", f"unquoted date {node.value!r} loads as a date; quote it: \"{node.value}\""))
            return node.value
        if node.tag == "tag:yaml.org,2002:bool" and plain and node.value.lower() not in _TRUE_FALSE:
            self.issues.append(_issue(self.file, line, col, "yaml-truthy", f"{node.value!r} loads as a boolean in YAML 1.1; write true/false, or quote it"))
        if node.tag == "tag:yaml.org,2002:int" and plain and _OCTAL.match(node.value):
            self.issues.append(_issue(self.file, line, col, "yaml-octal", f"{node.value!r} loads as an octal number; quote it or drop the leading zero"))
        if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and plain and ":" in node.value:
            self.issues.append(_issue(self.file, line, col, "yaml-sexagesimal", f"{node.value!r} loads as a base-60 number in YAML 1.1; quote it"))
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, KeyError, TypeError, OverflowError) as exc:  # `!!int "four"`
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.issues.append(_issue(self.file, line, col, "yaml-value", f"{node.value!r} is not a valid {node.tag.rpartition(':')[2]}: {reason}"))
            return node.value

    def _mapping(self, node: MappingNode, path: tuple[object, ...], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            kline, kcol = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.issues.append(_issue(self.file, kline, kcol, "yaml-merge", "merge keys (<<) are not allowed; use `extends`"))
                continue
            if not isinstance(key_node, ScalarNode):
                self.issues.append(_issue(self.file, kline, kcol, "yaml-key", "mapping keys must be plain strings"))
                continue
            key = key_node.value if key_node.tag == _STR else self._scalar(key_node, kline, kcol)
            if not isinstance(key, str):
                self.issues.append(_issue(self.file, kline, kcol, "yaml-key", f"key {key_node.value!r} is not a string (loads as {type(key).__name__}); quote it"))
                key = str(key_node.value)
            if key in out:
                self.issues.append(_issue(self.file, kline, kcol, "duplicate-key", f"duplicate key {key!r} (YAML would silently keep the last one)"))
            self.source.add_key(path + (key,), self.file, kline, kcol)
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out


def _issue(file: str, line: int, col: int, rule: str, message: str) -> SpecIssue:
    return SpecIssue(file=file, line=line, col=col, rule=rule, message=message)
