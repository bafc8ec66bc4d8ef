"""The spec files of a search path: where they are found, how one is loaded, and the small facts
the registry keeps about them (:mod:`specwire.registry`, docs/ARCHITECTURE.md section 9.7).

Discovery rules (docs/RELIABILITY.md T10): only regular ``*.yaml``/``*.yml`` files directly inside
a folder are read; a symlink must resolve inside its folder; a folder writable by group or others
is reported; two files of one stem in one folder: the first (sorted) wins.

Abstract specs (docs/ARCHITECTURE.md section 4): the files of a ``bases/`` folder directly inside a
spec folder, read by the same rules.  Their id is ``bases/<stem>``: a spec names one in its
``extends``, and nothing else sees them (they are no provider).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lazy import defer
from .issues import SourceMap, SpecIssue

if TYPE_CHECKING:
    from .compile import CompiledSpec
    from .loader import LoadedSpec, load_file, load_text
else:  # PyYAML loads with the first spec file read (specwire.lazy)
    defer(globals(), "specwire.spec.loader", "load_file", "load_text")

__all__ = [
    "BASES_DIR",
    "BASE_PREFIX",
    "BUILTIN_LAYER",
    "EXTENDS_FAILED",
    "REGISTERED_LAYER",
    "Entry",
    "builtin_dir",
    "compile_trusted",
    "discover",
    "extends_failed",
    "has_errors",
    "is_base",
    "issue_order",
    "load_entry",
    "same_file",
    "user_config_dir",
]

BUILTIN_LAYER = "builtin"
#: The layer of the specs added by :meth:`SpecRegistry.register`.
REGISTERED_LAYER = "registered"
#: The rule of the one note a spec gets when the spec it extends fails to load.
EXTENDS_FAILED = "extends-failed"
#: The folder of abstract specs inside a spec folder, and the prefix of their ids.
BASES_DIR = "bases"
BASE_PREFIX = BASES_DIR + "/"


def is_base(spec_id: str) -> bool:
    """Whether ``spec_id`` names an abstract spec (``bases/<stem>``) rather than a provider."""
    return spec_id.startswith(BASE_PREFIX)


def builtin_dir() -> Path:
    """The folder of the built-in specs (inside the installed package)."""
    return Path(str(files("specwire.providers_d")))


def user_config_dir(env: dict[str, str]) -> Path:
    """The user config folder of specs: ``$XDG_CONFIG_HOME/specwire/providers.d`` (by default
    ``~/.config/specwire/providers.d``)."""
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "specwire" / "providers.d"


@dataclass(frozen=True, slots=True)
class Entry:
    """One spec file on the search path (or one registered spec)."""

    provider: str  # the provider id; ``bases/<stem>`` for an abstract spec
    path: Path
    layer: str
    rank: int  # 0 = highest priority (registered specs rank below 0: above every folder)
    text: str | None = None  # a registered mapping, as YAML text (``path`` is then its label)


def discover(rank: int, label: str, folder: Path, prefix: str = "") -> tuple[list[Entry], list[SpecIssue]]:
    """The spec files of one folder of the search path, and the discovery warnings; ``prefix``
    (:data:`BASE_PREFIX` for a ``bases/`` folder) starts every id found."""
    entries: list[Entry] = []
    warnings: list[SpecIssue] = []
    if not folder.is_dir():
        return entries, warnings
    real_folder = folder.resolve()
    if label != BUILTIN_LAYER:
        mode = real_folder.stat().st_mode
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            warnings.append(SpecIssue(str(folder), 1, 1, "writable-folder", "spec folder is writable by group or others", "warning"))
    seen: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml") or path.name.startswith("."):
            continue
        real = path.resolve()
        if path.is_symlink() and real_folder not in real.parents:
            warnings.append(SpecIssue(str(path), 1, 1, "symlink-escape", f"skipped: the symlink points outside {folder}", "warning"))
            continue
        if not real.is_file():
            warnings.append(SpecIssue(str(path), 1, 1, "not-a-file", "skipped: not a regular file", "warning"))
            continue
        stem = path.stem
        if stem in seen:
            warnings.append(SpecIssue(str(path), 1, 1, "duplicate-provider", f"skipped: {seen[stem].name} already defines {stem!r} in this folder", "warning"))
            continue
        seen[stem] = path
        entries.append(Entry(prefix + stem, path, label, rank))
    return entries, warnings


#: Built-in spec files loaded by any registry of the process, by (path, mtime, size).
_LOADED: dict[tuple[str, int, int], LoadedSpec] = {}
_MAX_LOADED = 256


def load_entry(entry: Entry) -> LoadedSpec:
    """The loaded tree of an entry: its file, or the text of a registered mapping.  A built-in
    file is loaded once per process (by path, time and size; loaded trees are never modified:
    merging builds new mappings, and compiled specs are shared already)."""
    if entry.text is not None:
        return load_text(entry.text, str(entry.path))
    if entry.layer != BUILTIN_LAYER:
        return load_file(entry.path)
    try:
        st = entry.path.stat()
    except OSError:
        return load_file(entry.path)  # which says why
    key = (str(entry.path), st.st_mtime_ns, st.st_size)
    loaded = _LOADED.get(key)
    if loaded is None:
        loaded = load_file(entry.path)
        if len(_LOADED) >= _MAX_LOADED:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = loaded
    return loaded


def compile_trusted(data: Any, source: SourceMap, file: str) -> CompiledSpec | None:
    """A built-in spec's merged tree compiled without the schema and lint passes (the test suite
    runs them on every built-in spec), or ``None`` when the compiler finds a problem: the full
    checks then say what it is."""
    from .compile import compile_spec

    try:
        spec, problems = compile_spec(data, file, source)
    except Exception:  # noqa: BLE001 - a tree the schema would refuse: the full checks report it
        return None
    return None if problems else spec


def extends_failed(source: SourceMap, file: str, root: str) -> SpecIssue:
    """The note at ``file``'s ``extends`` key: the spec it extends failed to load, ``root`` at fault."""
    line, col = source.locate(("extends",))[1:]
    return SpecIssue(file, line, col, EXTENDS_FAILED, f"extends a spec that failed to load: {root}", path="extends")


def issue_order(issue: SpecIssue) -> tuple[str, int, int, str]:
    """The order issues are reported in: file, line, column, rule."""
    return (issue.file, issue.line, issue.col, issue.rule)


def has_errors(issues: list[SpecIssue]) -> bool:
    """Whether any of ``issues`` is an error."""
    return any(i.level == "error" for i in issues)


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` resolve to the same file (``False`` when either cannot be resolved)."""
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
