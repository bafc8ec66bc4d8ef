"""Where specs come from, and model refs (docs/ARCHITECTURE.md section 7, docs/ARCHITECTURE.md section 9.7).

Search path, overrides first: explicit ``spec_paths``, ``$SPECWIRE_PROVIDERS_PATH``
(``os.pathsep``-separated), the user config folder (``$XDG_CONFIG_HOME/specwire/providers.d``, by
default ``~/.config/specwire/providers.d``), then the built-in ``providers.d`` shipped in the wheel.
A file's stem is its provider id.

Loading rules (docs/RELIABILITY.md T10, T4e): only regular ``*.yaml``/``*.yml`` files directly inside a
folder are read; a symlink must resolve inside its folder; a file that reuses a built-in provider
id is refused unless it says ``override: true`` (then a warning); ``extends: <id>`` merges the
parent under the file (maps merge, lists replace, ``null`` removes an inherited key, and a rule
such as ``params.temperature`` or ``stream.events.text`` is replaced whole; ``provider``,
``display_name``, ``docs``, ``description``, ``models``, ``catalog``, ``bare_names``, ``default_model`` and
``provider_aliases`` are not inherited), and a file that
extends its own id extends the next lower layer.  A folder's ``bases/`` folder holds abstract
specs: ``extends: bases/<stem>`` names one; they are never providers (not in :meth:`providers`,
not callable, no bare names), and are linted as fragments (docs/ARCHITECTURE.md section 4).

Loading is lazy (docs/ARCHITECTURE.md section 9.7): a spec is read, merged and compiled when it is
first asked for, and kept (built-in specs once per process, shared by every registry with the
same files).  A built-in spec, checked by the test suite, is compiled without the JSON-schema and
lint passes; a spec of the user's is checked in full, and :meth:`SpecRegistry.lint_file`
(``validate-spec``) checks any spec, built-in or not, in full.  The key bindings read only the
built-in specs that can declare the variable asked about (:mod:`specwire.key_bindings`).

Specs built in code join with :meth:`SpecRegistry.register` (a mapping, or a path to one file):
each is validated as a file is and ranks above every folder, a later registration above an
earlier one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelNotFoundError, SpecError
from .key_bindings import SpecText, may_declare, scan
from .lazy import defer
from .spec.issues import VALUE_KEEPING_RULES, SourceMap, SpecIssue
from .spec.files import (
    BASE_PREFIX,
    BASES_DIR,
    BUILTIN_LAYER,
    EXTENDS_FAILED,
    REGISTERED_LAYER,
    Entry,
    builtin_dir,
    compile_trusted,
    discover,
    extends_failed,
    has_errors,
    is_base,
    issue_order,
    load_entry,
    same_file,
    user_config_dir,
)
from .spec.merge import inherited, merge_specs
from .suggest import closest, did_you_mean

if TYPE_CHECKING:
    from .catalogs import merge_catalog
    from .model_refs import alias_map, bare_owners, model_warnings, resolve_bare
    from .spec.compile import CompiledSpec
    from .types import CallWarning
else:  # the catalogs and model refs (pydantic warnings) load with the first spec (specwire.lazy)
    defer(globals(), "specwire.catalogs", "merge_catalog")
    defer(globals(), "specwire.model_refs", "alias_map", "bare_owners", "model_warnings", "resolve_bare")

# merge_specs and model_warnings are re-exported: they lived here first
__all__ = ["BUILTIN_LAYER", "REGISTERED_LAYER", "FileLint", "SpecRegistry", "builtin_dir", "default_registry", "merge_specs", "model_warnings"]


@dataclass(slots=True)
class _Merged:
    data: Any
    source: SourceMap
    issues: list[SpecIssue]
    chain: tuple[tuple[str, bool], ...] = ()  # (provider id, is the built-in file) of the spec and its ancestors, nearest first
    parent: Entry | None = None  # the entry `extends` resolved to
    own: Any = None  # the file's own tree when the merge failed after loading it (its keys are still checked)
    root: str | None = None  # when an ancestor failed to load: the file at fault


@dataclass(frozen=True, slots=True)
class FileLint:
    """What :meth:`SpecRegistry.lint_file` found: the ``issues``; the compiled ``spec`` (``None``
    when there are errors); the merged spec's ``source`` map (which file defines each node); the
    ``chain`` of provider ids through ``extends``, the file's own first, its root ancestor last;
    and ``builtin_chain``, those of them whose file is the built-in spec (a user file reusing a
    built-in id is not)."""

    issues: list[SpecIssue]
    spec: CompiledSpec | None
    source: SourceMap
    chain: tuple[str, ...]
    builtin_chain: tuple[str, ...]


class SpecRegistry:
    """The providers visible through a search path.

    ``spec_paths``: extra folders, highest priority first.  ``env``: the environment to read
    ``SPECWIRE_PROVIDERS_PATH`` and ``XDG_CONFIG_HOME`` from (default ``os.environ``).
    ``user_config``: include the user config folder.  Discovery problems (a symlink leaving its
    folder, a writable folder) are in :attr:`warnings`.
    """

    def __init__(self, spec_paths: Sequence[str | Path] | None = None, *, env: Mapping[str, str] | None = None, user_config: bool = True) -> None:
        env = dict(os.environ if env is None else env)
        layers: list[tuple[str, Path]] = [(f"spec_paths:{p}", Path(p)) for p in spec_paths or ()]
        for p in filter(None, env.get("SPECWIRE_PROVIDERS_PATH", "").split(os.pathsep)):
            layers.append((f"SPECWIRE_PROVIDERS_PATH:{p}", Path(p)))
        if user_config:
            layers.append(("user-config", user_config_dir(env)))
        layers.append((BUILTIN_LAYER, builtin_dir()))
        self.layers = layers
        self.warnings: list[SpecIssue] = []
        self._entries: dict[str, list[Entry]] = {}
        #: the abstract specs (``bases/<stem>``): resolved by ``extends``, never providers
        self._bases: dict[str, list[Entry]] = {}
        self._cache: dict[str, CompiledSpec] = {}
        #: key variable → its binding, learnt one variable at a time (:meth:`credential_binding`)
        self._bindings: dict[str, list[tuple[str, tuple[str, ...]]] | None] = {}
        self._texts: dict[str, SpecText] | None = None  # the built-in specs' texts, for the bindings
        self._aliases: dict[str, str] | None = None
        #: bare name → its resolution (the specs are fixed once loaded, so it is worked out once)
        self._bare: dict[str, tuple[str, str, CallWarning]] = {}
        self._failures: dict[tuple[str, int], tuple[str, list[SpecIssue]] | None] = {}
        self._lock = threading.RLock()
        self._next_rank = -1  # the rank of the next registered spec
        self._winners: tuple[tuple[str, str], ...] | None = None  # (provider, winning file) of every id
        for rank, (label, folder) in enumerate(layers):
            found, warnings = discover(rank, label, folder)
            self.warnings += warnings
            for entry in found:
                self._entries.setdefault(entry.provider, []).append(entry)
            found, warnings = discover(rank, label, folder / BASES_DIR, BASE_PREFIX)
            self.warnings += warnings
            for entry in found:
                self._bases.setdefault(entry.provider, []).append(entry)

    def providers(self) -> list[str]:
        """Every provider id on the search path, sorted."""
        return sorted(self._entries)

    def bases(self) -> list[str]:
        """Every abstract spec id on the search path (``bases/<stem>``), sorted: specs a provider
        spec can ``extends``, never providers themselves (docs/ARCHITECTURE.md section 4)."""
        return sorted(self._bases)

    def _candidates(self, spec_id: str) -> list[Entry]:
        """The files of a provider id or an abstract spec id, highest priority first."""
        return (self._bases if is_base(spec_id) else self._entries).get(spec_id, [])

    def origin(self, provider: str) -> tuple[str, Path]:
        """``(layer, file)`` of the spec that wins for ``provider``."""
        entry = self._entries[provider][0]
        return entry.layer, entry.path

    def shadowed(self, provider: str) -> list[tuple[str, Path]]:
        """Lower-priority files of the same id, hidden by the winning one."""
        return [(e.layer, e.path) for e in self._entries.get(provider, [])[1:]]

    # ------------------------------------------------------------------ registration
    def register(self, spec: str | Path | Mapping[str, Any]) -> CompiledSpec:
        """Add a spec built in code, above every folder of the search path (a later registration
        above an earlier one), and return it compiled.

        ``spec``: a path to one ``.yaml``/``.yml`` file (its stem is the provider id, as on the
        search path), or a mapping shaped as such a file loads (plain dicts, lists, strings,
        numbers, booleans, ``None``; its ``provider`` key is the id).  It is checked exactly as a
        file is: the loader's limits (:data:`~specwire.spec.loader.MAX_FILE_BYTES`,
        :data:`~specwire.spec.loader.MAX_DEPTH`), the JSON schema, the semantic checks and the
        compiler; ``extends`` resolves against the search path (a spec extending its own id
        extends the file it shadows); reusing a built-in id needs ``override: true``; its
        ``provider_aliases`` (and its id) may not clash with another spec's.  A mapping's issues
        name the file ``<registered:PROVIDER>``, with the key path, and lines as
        ``yaml.safe_dump(spec, sort_keys=False)`` writes the mapping.

        Raises :class:`SpecError` (every issue in ``issues``) and registers nothing when the
        spec has errors.  The registry's compiled specs, aliases and bare-name resolutions are
        recomputed afterwards.
        """
        from .spec.checks import credential_issues
        from .spec.registered import mapping_text

        if isinstance(spec, Mapping):
            provider = spec.get("provider")
            label = f"<registered:{provider}>" if isinstance(provider, str) and provider else "<registered>"
            if not isinstance(provider, str) or not provider:
                raise SpecError("a registered spec mapping must name its `provider` (a string)", file=label, line=1, col=1, rule="provider-name")
            path, text = Path(label), mapping_text(spec, label)
        else:
            path = Path(spec)
            if path.suffix not in (".yaml", ".yml"):
                raise SpecError(f"a registered spec file must end in .yaml or .yml: {path}", file=str(path), line=1, col=1, rule="file")
            provider, label, text = path.stem, str(path), None
        with self._lock:
            entry = Entry(provider, path, REGISTERED_LAYER, self._next_rank, text)
            merged, compiled, issues, _root = self._evaluate(entry, entry.path)
            if merged.data is not None:
                issues = issues + credential_issues(merged.data, merged.source, label, self.credential_binding)
                issues = issues + self._alias_clashes(merged.data, merged.source, label, provider, check_id=True)
            errors = sorted((i for i in issues if i.level == "error"), key=issue_order)
            if compiled is None or errors:
                first = errors[0] if errors else SpecIssue(label, 1, 1, "spec", "the spec did not compile")
                more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                where = f"{first.path}: " if first.path else ""
                raise SpecError(where + first.message + more, file=first.file, line=first.line, col=first.col, rule=first.rule, issues=sorted(issues, key=issue_order))
            self._next_rank -= 1
            self._entries.setdefault(provider, []).insert(0, entry)
            # specs extending this id, the alias map and remembered bare names may all change
            self._cache.clear()
            self._failures.clear()
            self._aliases = None
            self._bare.clear()
            self._winners = None
            self._cache[provider] = compiled
            return compiled

    # ------------------------------------------------------------------ loading
    def get(self, provider: str) -> CompiledSpec:
        """The compiled spec of ``provider``.  Raises :class:`ModelNotFoundError` for an unknown id
        (with a did-you-mean) and :class:`SpecError` (all issues attached) for a broken spec."""
        with self._lock:
            spec = self._cache.get(provider)
            if spec is not None:
                return spec
            if provider not in self._entries:
                raise ModelNotFoundError(f"unknown provider {provider!r}", suggestion=closest(provider, self.providers()))
            entry = self._entries[provider][0]
            key = self._shared_key(entry)
            shared = _SHARED.get(key) if key is not None else None
            if shared is not None:
                self._cache[provider] = shared
                return shared
            _merged, spec, issues, _root = self._evaluate(entry, entry.path, trusted=entry.layer == BUILTIN_LAYER and entry.text is None)
            if spec is None:
                # the file's own problems first; a spec whose parent failed to load says so once
                # (EXTENDS_FAILED), not the parent's problems again (the parent's error has them)
                errors = sorted((i for i in issues if i.level == "error"), key=lambda i: not same_file(Path(i.file), entry.path))
                first = errors[0]
                if first.rule == EXTENDS_FAILED:
                    issues = [i for i in issues if i.file == first.file]
                    errors = [i for i in errors if i.file == first.file]
                more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                raise SpecError(first.message + more, file=first.file, line=first.line, col=first.col, rule=first.rule, issues=issues)
            self._cache[provider] = spec
            if key is not None:
                if len(_SHARED) >= _MAX_SHARED:
                    _SHARED.pop(next(iter(_SHARED)))
                _SHARED[key] = spec
            return spec

    def _shared_key(self, entry: Entry) -> tuple[object, ...] | None:
        """The key under which a built-in spec compiled by any registry of the process can be
        reused: the same file (and its size and time) and the same winning file for every built-in
        provider id (so ``extends`` resolves alike; built-in specs extend built-in ids only).  ``None`` for a spec outside the
        built-in folder."""
        if entry.layer != BUILTIN_LAYER or entry.text is not None:
            return None
        if self._winners is None:
            # the winning file of every built-in id: a user's new provider changes nothing here,
            # a user file overriding a built-in id (a parent, perhaps) changes the key
            self._winners = tuple(sorted((p, str(es[0].path)) for p, es in self._entries.items() if any(e.layer == BUILTIN_LAYER for e in es)))
        try:
            st = entry.path.stat()
        except OSError:
            return None
        return (entry.provider, str(entry.path), st.st_mtime_ns, st.st_size, self._winners)

    def check_file(self, path: str | Path) -> list[SpecIssue]:
        """Every issue of one spec file, resolving its ``extends`` against this registry (the
        ``validate-spec`` entry point).  Never raises for a broken spec."""
        return self.lint_file(path).issues

    def lint_file(self, path: str | Path) -> FileLint:
        """:meth:`check_file`, with the compiled spec, its source map and its ``extends`` chain."""
        from .spec.checks import credential_issues

        path = Path(path)
        stem = path.stem
        # a file that is itself on the search path keeps its rank; otherwise it sits above all.
        # A file of a `bases/` folder is an abstract spec unless the search path has it as a provider.
        match = next((e for e in self._entries.get(stem, []) if same_file(e.path, path)), None)
        match = match or next((e for e in self._bases.get(BASE_PREFIX + stem, []) if same_file(e.path, path)), None)
        spec_id = BASE_PREFIX + stem if path.parent.name == BASES_DIR else stem
        entry = match or Entry(spec_id, path, "file", self._next_rank)
        merged, spec, issues, _root = self._evaluate(entry, path)
        chain = tuple(p for p, _ in merged.chain)
        builtin_chain = tuple(p for p, builtin in merged.chain if builtin)
        if merged.data is not None and not is_base(entry.provider):
            issues = issues + credential_issues(merged.data, merged.source, str(path), self.credential_binding)
            issues = issues + self._alias_clashes(merged.data, merged.source, str(path), stem)
        return FileLint(sorted(issues, key=issue_order), spec, merged.source, chain, builtin_chain)

    def _alias_clashes(self, data: Any, source: SourceMap, file: str, provider: str, *, check_id: bool = False) -> list[SpecIssue]:
        """``provider-alias-clash`` errors: an alias of this file that is another provider's id or
        another spec's alias (``provider_aliases`` is not inherited: each file's own list is read);
        with ``check_id``, also the provider id itself when another spec declares it as an alias."""
        mine = [a for a in (data.get("provider_aliases") or ()) if isinstance(a, str)] if isinstance(data, dict) else []
        if not mine and not check_id:
            return []
        theirs: dict[str, str] = {}
        for other, entries in self._entries.items():
            if other != provider:
                raw = load_entry(entries[0]).data
                for alias in (raw.get("provider_aliases") or ()) if isinstance(raw, dict) else ():
                    theirs[alias] = other
        out: list[SpecIssue] = []
        if check_id and provider in theirs:
            line, col = source.locate(("provider",))[1:]
            out.append(SpecIssue(file, line, col, "provider-alias-clash", f"provider id {provider!r} is already an alias of {theirs[provider]!r}", path="provider"))
        for i, alias in enumerate(mine):
            owner = alias if alias in self._entries and alias != provider else theirs.get(alias)
            if owner is not None:
                line, col = source.locate(("provider_aliases", i))[1:]
                out.append(SpecIssue(file, line, col, "provider-alias-clash", f"provider alias {alias!r} is already {'a provider id' if owner == alias else f'an alias of {owner!r}'}", path=f"provider_aliases.{i}"))
        return out

    def _evaluate(self, entry: Entry, path: Path, *, trusted: bool = False) -> tuple[_Merged, CompiledSpec | None, list[SpecIssue], str | None]:
        """Load, merge, check and compile one spec, reporting every layer it can: the loader's
        findings, the file rules, the schema and the semantic checks (a YAML syntax error, a
        missing parent or a cycle stop the merge; the file's own keys are still checked against
        the schema).  When the merged spec fails on its parent's account and the parent fails to
        load on its own, the spec gets one EXTENDS_FAILED note instead of the parent's problems
        (which stay in the list once, for a caller that did not check the parent).  Returns the
        merged tree, the spec (``None`` when there are errors), the issues, and the file at fault
        when that is an ancestor's (``None``: this file's own problems).  ``trusted`` (a built-in
        spec loaded for a call): compile without the schema and lint passes, falling back to
        them when the compiler finds a problem."""
        merged = self._merge(entry, ())
        if is_base(entry.provider):
            return self._evaluate_base(merged, path)
        if merged.data is not None:
            merged.data, merged.source, imported = merge_catalog(merged.data, merged.source, path, builtin_dir())
            merged.issues = merged.issues + imported
            if trusted and not has_errors(merged.issues) and (compiled := compile_trusted(merged.data, merged.source, str(path))) is not None:
                return merged, compiled, merged.issues, None
        from .spec.checks import check_own_keys, check_tree, settings_secret_issues

        if merged.data is None:
            own = [] if merged.own is None else check_own_keys(merged.own, merged.source, str(path))
            return merged, None, merged.issues + own, merged.root
        spec, issues = check_tree(merged.data, merged.source, str(path))
        # a built-in spec is trusted not to read another's key; asking which variables are keys
        # would merge every spec on the first call
        binding = None if entry.layer == BUILTIN_LAYER else self.credential_binding
        secrets = settings_secret_issues(merged.data, merged.source, str(path), binding)
        if secrets:
            spec, issues = None, issues + secrets
        taken = {(i.file, i.line, i.col) for i in merged.issues if i.level == "error"}
        issues = merged.issues + [i for i in issues if (i.file, i.line, i.col) not in taken]  # one finding per place
        foreign = any(i.level == "error" and not same_file(Path(i.file), path) for i in issues)
        if foreign and merged.parent is not None and (failure := self._failure(merged.parent)) is not None:
            root, parent_issues = failure
            own = [i for i in issues if same_file(Path(i.file), path)]
            note = extends_failed(merged.source, str(path), root)
            return merged, None, own + [note] + [i for i in parent_issues if i not in own], root
        if has_errors(issues):
            spec = None
        return merged, spec, issues, None

    @staticmethod
    def _evaluate_base(merged: _Merged, path: Path) -> tuple[_Merged, CompiledSpec | None, list[SpecIssue], str | None]:
        """:meth:`_evaluate` for an abstract spec: linted as a fragment (its keys and what it
        inherits are checked; nothing it leaves to the specs extending it is missing), never
        compiled: the spec is always ``None``, and the spec fails only when there are errors."""
        from .spec.checks import check_fragment

        tree = merged.data if merged.data is not None else merged.own
        found = [] if tree is None else check_fragment(tree, merged.source, str(path))
        taken = {(i.file, i.line, i.col) for i in merged.issues if i.level == "error"}
        return merged, None, merged.issues + [i for i in found if (i.file, i.line, i.col) not in taken], merged.root

    def _failure(self, entry: Entry) -> tuple[str, list[SpecIssue]] | None:
        """``(file at fault, issues)`` when the spec of ``entry`` fails to load on its own, else
        ``None``; cached per file and layer.  The file at fault is the entry's own file, or, when
        it failed only because its own parent did, that parent's."""
        key = (str(entry.path), entry.rank)
        if key not in self._failures:
            _merged, spec, issues, root = self._evaluate(entry, entry.path)
            failed = has_errors(issues) if is_base(entry.provider) else spec is None
            self._failures[key] = (root or str(entry.path), issues) if failed else None
        return self._failures[key]

    def _merge(self, entry: Entry, stack: tuple[str, ...]) -> _Merged:
        loaded = load_entry(entry)
        issues = list(loaded.issues)
        data = loaded.data
        file = str(entry.path)
        if data is None or any(i.level == "error" and i.rule not in VALUE_KEEPING_RULES for i in issues):
            return _Merged(None, loaded.source, issues)
        if not isinstance(data, dict):
            issues.append(SpecIssue(file, 1, 1, "schema", "a spec must be a mapping"))
            return _Merged(None, loaded.source, issues)
        abstract = is_base(entry.provider)
        if abstract and "provider" in data:
            line, col = loaded.source.locate(("provider",))[1:]
            issues.append(SpecIssue(file, line, col, "abstract-provider", f"an abstract spec ({BASES_DIR}/) names no `provider`: it is never a provider itself, only extended as `extends: {entry.provider}`", path="provider"))
        elif not abstract and data.get("provider") != entry.provider:
            line, col = loaded.source.locate(("provider",))[1:]
            issues.append(SpecIssue(file, line, col, "provider-name", f"`provider: {data.get('provider')}` must equal the file name stem {entry.provider!r}", path="provider"))
        builtin = any(e.layer == BUILTIN_LAYER for e in self._candidates(entry.provider))
        builtin_file = builtin_dir() / (BASES_DIR if abstract else "") / entry.path.name
        is_builtin_file = entry.layer == BUILTIN_LAYER or same_file(entry.path, builtin_file)
        link = ((entry.provider, is_builtin_file),)
        if builtin and not is_builtin_file:
            if not data.get("override"):
                where = ("spec_version",) if abstract else ("provider",)
                line, col = loaded.source.locate(where)[1:]
                kind = "an abstract spec" if abstract else "a provider"
                issues.append(SpecIssue(file, line, col, "builtin-shadowing", f"{entry.provider!r} is a built-in {kind}; a spec that replaces it must say `override: true`", path=where[0]))
            else:
                self.warnings.append(SpecIssue(file, 1, 1, "builtin-override", f"this file overrides the built-in provider {entry.provider!r}", "warning"))
        parent_id = data.get("extends")
        if not parent_id:
            return _Merged(data, loaded.source, issues, link)
        if not isinstance(parent_id, str):
            return _Merged(data, loaded.source, issues, link)  # the schema reports the type
        if parent_id in stack + (entry.provider,) and parent_id != entry.provider:
            line, col = loaded.source.locate(("extends",))[1:]
            issues.append(SpecIssue(file, line, col, "extends-cycle", f"`extends` forms a cycle: {' -> '.join(stack + (entry.provider, parent_id))}", path="extends"))
            return _Merged(None, loaded.source, issues, own=data)
        # a spec extends from its own layer or a lower one (a built-in never inherits a user's
        # override); extending its own id means the next lower layer
        candidates = [
            e for e in self._candidates(parent_id)
            if e.rank >= entry.rank and (parent_id != entry.provider or e.rank > entry.rank)
        ]
        if not candidates:
            line, col = loaded.source.locate(("extends",))[1:]
            hint = did_you_mean(parent_id, self.providers() + self.bases())
            issues.append(SpecIssue(file, line, col, "unknown-extends", f"`extends: {parent_id}` names no provider on the search path{hint}", path="extends"))
            return _Merged(None, loaded.source, issues, own=data)
        parent = self._merge(candidates[0], stack + (entry.provider,))
        if parent.data is None or has_errors(parent.issues):
            first = next((i for i in parent.issues if i.level == "error"), None)
            inherited_issues = [i for i in parent.issues if i.file != file]
            if first is not None and first.rule == "extends-cycle":
                line, col = loaded.source.locate(("extends",))[1:]
                issues.append(SpecIssue(file, line, col, "extends-cycle", f"the parent spec {parent_id!r} has errors: {first.message}", path="extends"))
                return _Merged(None, loaded.source, issues + inherited_issues, own=data)
            root = parent.root or str(candidates[0].path)
            issues.append(extends_failed(loaded.source, file, root))
            return _Merged(None, loaded.source, issues + inherited_issues, own=data, root=root)
        merged = merge_specs(inherited(parent.data), data)
        return _Merged(merged, parent.source.overlay(loaded.source), issues + parent.issues, link + parent.chain, parent=candidates[0])

    # ------------------------------------------------------------------ credential binding
    def credential_binding(self, env_var: str) -> list[tuple[str, tuple[str, ...]]] | None:
        """For an API-key variable declared by a built-in spec: ``[(host pattern, base-URL env
        variables of that spec)]``; ``None`` when no built-in spec declares the variable (it is
        the user's own, and not bound).  See :mod:`specwire.binding`.  Learnt per variable,
        merging only the built-in specs that can declare it (:mod:`specwire.key_bindings`)."""
        with self._lock:
            if env_var not in self._bindings:
                if len(self._bindings) >= _MAX_BINDINGS:  # variable names from user specs: bounded
                    self._bindings.clear()
                self._bindings[env_var] = self._builtin_binding(env_var)
            return self._bindings[env_var]

    def _builtin_binding(self, env_var: str) -> list[tuple[str, tuple[str, ...]]] | None:
        from .binding import host_pattern

        candidates = may_declare(env_var, self._builtin_texts())
        out: list[tuple[str, tuple[str, ...]]] = []
        for provider, entries in self._entries.items():
            entry = next((e for e in entries if e.layer == BUILTIN_LAYER), None)
            if entry is None or provider not in candidates:
                continue
            merged = self._merge(entry, ())
            data = merged.data if isinstance(merged.data, dict) else {}
            env = data.get("env") or {}
            keys = env.get("api_key") or ()
            urls = env.get("base_url") or ()
            pattern = host_pattern(str(data.get("base_url", "")))
            if pattern and env_var in ((keys,) if isinstance(keys, str) else keys):
                out.append((pattern, (urls,) if isinstance(urls, str) else tuple(urls)))
        return out or None

    def _builtin_texts(self) -> dict[str, SpecText]:
        """The built-in spec files' texts, read once per registry (an unreadable one counts as
        naming everything: the loader says why when it is merged)."""
        with self._lock:
            if self._texts is None:
                texts: dict[str, SpecText] = {}
                # the abstract specs too: a spec may inherit its `env` from one
                for provider, entries in {**self._entries, **self._bases}.items():
                    entry = next((e for e in entries if e.layer == BUILTIN_LAYER), None)
                    if entry is not None:
                        try:
                            texts[provider] = scan(entry.path.read_text(encoding="utf-8", errors="replace"))
                        except OSError:
                            texts[provider] = SpecText("", None, True, False)
                self._texts = texts
            return self._texts

    # ------------------------------------------------------------------ model refs
    def resolve(self, model_ref: str) -> tuple[CompiledSpec, str, list[CallWarning]]:
        """``"provider:model"`` (or ``provider/model`` when the prefix is a known provider; a
        provider alias works in both) or a bare name → ``(spec, model, warnings)``.

        A bare name is resolved by :func:`specwire.model_refs.resolve_bare` (a provider id or
        alias: its ``default_model``; else the catalogs listing it, ranked by
        ``bare_names.priority``; else the specs whose ``bare_names.patterns`` match), with a
        ``bare-model`` warning naming the ``provider:model`` chosen.  A model missing from the
        catalog is still used as given (providers add models faster than catalogs) with a warning
        and a did-you-mean; deprecated models get a warning too.
        Raises :class:`ModelNotFoundError` for an unknown provider or an ambiguous or unknown bare
        name, :class:`SpecError` when two specs declare the same provider alias.
        """
        # a user value: checked at run time although typed str
        is_str = isinstance(model_ref, str)  # pyright: ignore[reportUnnecessaryIsInstance]
        if is_str and ":" not in model_ref and "/" in model_ref and model_ref.split("/", 1)[0] not in self._entries:
            self.aliases()  # a `alias/model` ref needs the alias map
        known = {**dict.fromkeys(self._entries), **(self._aliases or {})}
        provider, model = _split_ref(model_ref, known)
        warnings: list[CallWarning] = []
        if provider is None:
            provider, model, warning = self._resolve_bare(model)
            warnings.append(warning)
        elif provider not in self._entries:
            provider = self.aliases().get(provider, provider)
        spec = self.get(provider)
        return spec, model, warnings + model_warnings(spec, model)

    def aliases(self) -> dict[str, str]:
        """``{provider alias: provider id}`` from every loadable spec's ``provider_aliases``
        (cached).  Raises :class:`SpecError` on a clash (an alias that is a provider id, or one
        declared twice)."""
        with self._lock:
            if self._aliases is None:
                self._aliases = alias_map(self._alias_sources(), self.providers())
            return self._aliases

    def _alias_sources(self) -> list[tuple[str, Any]]:
        """``(provider id, tree)`` of the loadable specs that can declare provider aliases.
        ``provider_aliases`` is each file's own key (never inherited), so a built-in file that
        does not name it declares none and is not read, and one that does is read without being
        compiled (built-in specs load: the test suite checks each one); any other spec is
        compiled, and left out when it does not load."""
        texts = self._builtin_texts()
        out: list[tuple[str, Any]] = []
        for provider in self.providers():
            entry = self._entries[provider][0]
            if entry.layer == BUILTIN_LAYER and entry.text is None:
                spec_text = texts.get(provider)
                if spec_text is not None and "provider_aliases" not in spec_text.text and not spec_text.unsure:
                    continue
                data = load_entry(entry).data
                out.append((provider, data if isinstance(data, dict) else {}))
                continue
            try:
                out.append((provider, self.get(provider).data))
            except SpecError:
                continue
        return out

    def _loaded(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for provider in self.providers():
            try:
                out.append((provider, self.get(provider).data))
            except SpecError:
                continue
        return out

    def bare_owners(self, model: str) -> tuple[str, list[tuple[int, str]]]:
        """The providers a bare model name could go to, ``(how, [(priority, provider)])``, before
        any choice (:func:`specwire.model_refs.bare_owners`): the catalogs listing it, else the
        specs whose ``bare_names.patterns`` match.  The Router narrows these by its own config."""
        return bare_owners(model, self._loaded(), lambda p: self.get(p).model_info(model) is not None)

    def _resolve_bare(self, model: str) -> tuple[str, str, CallWarning]:
        found = self._bare.get(model)
        if found is None:
            aliases = self.aliases()
            specs = self._loaded()
            found = resolve_bare(model, specs, aliases, lambda p: self.get(p).model_info(model) is not None)
            with self._lock:
                if len(self._bare) >= _MAX_BARE:  # user-chosen names: keep the memo bounded
                    self._bare.clear()
                self._bare[model] = found
        return found


#: How many bare-name resolutions a registry remembers.
_MAX_BARE = 1024
#: How many key variables' bindings a registry remembers.
_MAX_BINDINGS = 256

#: Built-in specs compiled by any registry of the process, reused by the others with the same
#: winning files (compiled specs are immutable): a new registry costs a directory listing.
_SHARED: dict[tuple[object, ...], CompiledSpec] = {}
_MAX_SHARED = 256


def _split_ref(ref: str, known: dict[str, Any]) -> tuple[str | None, str]:
    if not isinstance(ref, str) or not ref.strip():  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
        raise ModelNotFoundError("a model ref must be a non-empty 'provider:model' string")
    provider, sep, model = ref.partition(":")
    if sep and provider and model:
        return provider, model
    provider, sep, model = ref.partition("/")
    if sep and provider in known and model:
        return provider, model
    if ":" in ref:
        raise ModelNotFoundError(f"{ref!r} is not a model ref; write it as 'provider:model'")
    return None, ref


_default: SpecRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> SpecRegistry:
    """The process-wide registry used by the module-level functions (search path read once)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SpecRegistry()
        return _default
