"""``validate-spec PATH...``: lint provider specs (and router configs); no network.

Prints one line per problem, ``file:line:col: level [rule] message`` (yamllint's parsable format),
or ``--format json`` / ``--format github`` (workflow annotations).  A folder argument means every
``*.yaml``/``*.yml`` directly inside it and inside its ``bases/`` folder (abstract specs, linted as
fragments: docs/ARCHITECTURE.md section 4).  ``extends`` resolves against the files given, their
folders, ``$SPECWIRE_PROVIDERS_PATH`` and the built-in specs.  ``--explain`` prints the merged spec.

Every spec that lints clean is then run against recorded samples (docs/RELIABILITY.md T3,
:mod:`specwire.spec.samples`): the built-in samples of the built-in specs it is or extends
(shipped in the package; ``--no-builtin-samples`` skips them) and those under each
``--samples DIR`` (the tests/fixtures case layout) whose ``replay.provider`` is the spec or an
ancestor.  A rule whose required field resolves to null on every frame it matched is an error
(``mapping-null``), and so is a sample that does not replay (``sample-replay``); a ``--samples``
case that fits none of the specs is a warning.  Replays use the built-in framings only
(validate-spec loads no entry-point hooks) and no network.

Every file's findings are reported in one run, each once, every layer of them: YAML traps, file
rules, the schema, and the semantic checks (hooks, expressions, templates, rules), which run on
what the schema did not refuse.  A YAML syntax error stops its own file only, and says so on its
line (nothing else of that file can be checked); a spec whose parent fails to load gets one ``extends-failed`` line naming the file at
fault, the parent's problems being printed once (with the parent, or with the first file extending
it).

Exit status: 0 clean, 1 errors, 2 warnings only and ``--strict``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..spec.issues import SpecIssue

__all__ = ["main", "validate_paths"]


def _files(paths: list[str]) -> list[Path]:
    """The spec files named, and those directly inside named folders and their ``bases/`` folders
    (a symlink leaving its folder is skipped there, as the registry skips it; the registry reports
    it)."""
    from ..spec.files import BASES_DIR

    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for folder in (p, p / BASES_DIR) if p.name != BASES_DIR else (p,):
                if not folder.is_dir():
                    continue
                real = folder.resolve()
                out += sorted(
                    q for q in folder.iterdir()
                    if q.suffix in (".yaml", ".yml") and q.is_file() and not q.name.startswith(".")
                    and (not q.is_symlink() or real in q.resolve().parents)
                )
        else:
            out.append(p)
    return out


def _spec_folder(f: Path, *, folder: bool = False) -> Path:
    """The search-path folder of a spec file (``folder``: of a folder given): its own folder, or
    for an abstract spec (a file of a ``bases/`` folder) the folder holding ``bases/``."""
    from ..spec.files import BASES_DIR

    own = f if folder else f.parent
    return own.parent if own.name == BASES_DIR else own


def _sample_pool(dirs: list[str], builtin: bool) -> tuple[list[Any], list[Any], list[Any]]:
    """``(built-in samples, samples under dirs, issues)``."""
    from ..spec.samples import builtin_samples, load_samples

    shipped, issues = builtin_samples() if builtin else ([], [])
    given: list[Any] = []
    for d in dirs:
        found, problems = load_samples(Path(d))
        given += found
        issues += problems
    return shipped, given, issues


def validate_paths(paths: list[str], samples: list[str] | None = None, *, builtin_samples: bool = True) -> list[SpecIssue]:
    """Every issue of the given spec files and folders, replaying the samples under ``samples``
    (folders) and, unless told not to, the built-in ones (see the module docstring)."""
    from ..registry import SpecRegistry
    from ..router.config import is_router_config, lint_router_config
    from ..spec.issues import SpecIssue
    from ..spec.samples import fits, sample_issues

    files = _files(paths)
    folders = list(dict.fromkeys([str(_spec_folder(f)) for f in files] + [str(_spec_folder(Path(p), folder=True)) for p in paths if Path(p).is_dir()]))
    registry = SpecRegistry(folders, user_config=False)
    issues: list[SpecIssue] = []
    shipped, given, sample_problems = _sample_pool(samples or [], builtin_samples)
    used: set[str] = set()
    seen: set[SpecIssue] = set()
    unloadable = _Unloadable()
    for f in files:
        if not f.exists():
            issues.append(SpecIssue(str(f), 1, 1, "file", "no such file"))
            continue
        if is_router_config(f):  # a router config (top-level `router:`), linted against its schema
            issues += lint_router_config(f, registry=registry)
            continue
        result = registry.lint_file(f)
        # once per run: a spec extended by several of the files is reported with the first of
        # them (or by itself), the others carry only their one `extends-failed` note
        found = [i for i in result.issues if i not in seen]
        seen.update(found)
        issues += unloadable.note(found) if result.spec is None else found
        if result.spec is None:
            continue
        # the shipped samples belong to the built-in specs (and the specs extending them); a
        # user's own samples to any spec of their provider's id
        fitting = [s for s in shipped if fits(s, result.spec, result.builtin_chain)]
        fitting += [s for s in given if fits(s, result.spec, result.chain)]
        used |= {s.name for s in fitting}
        issues += sample_issues(result.spec, result.source, str(f), fitting)
    issues += sample_problems
    for s in given:
        if s.name not in used:
            issues.append(SpecIssue(s.name, 1, 1, "sample-unused", f"no spec checked fits this sample (replay.provider {s.provider!r}, framing {s.framing!r})", "warning"))
    # what the registry noticed about these files and folders: symlinks leaving a folder,
    # writable folders, built-in overrides
    named = {Path(p).resolve() for p in folders} | {f.resolve() for f in files}
    for warning in registry.warnings:
        where = Path(warning.file)
        if where.resolve() in named or where.parent.resolve() in named or where.absolute().parent.resolve() in named:
            if warning not in issues:
                issues.append(warning)
    return issues


UNCHECKED = "; nothing else in this file could be checked (schema, semantics, samples): it must load as YAML first"


class _Unloadable:
    """The first error of a file that does not load (YAML syntax, encoding, size) says, on its
    own line, that the later layers could not run on that file; every other file's layers still
    run."""

    def __init__(self) -> None:
        self._loads: dict[Path, bool] = {}
        self._noted: set[Path] = set()

    def note(self, found: list[Any]) -> list[Any]:
        from dataclasses import replace

        from ..spec.loader import load_file

        out = []
        for issue in found:
            where = Path(issue.file).resolve()
            if issue.level == "error" and where not in self._noted and where.is_file():
                if where not in self._loads:
                    self._loads[where] = load_file(where).data is not None
                if not self._loads[where]:
                    self._noted.add(where)
                    issue = replace(issue, message=issue.message + UNCHECKED)
            out.append(issue)
        return out


def main(argv: list[str] | None = None) -> int:
    """The ``validate-spec`` console script; returns the exit status."""
    from .pipes import survive_closed_pipe

    return survive_closed_pipe(_main, argv)


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="validate-spec", description="Lint specwire provider specs (no network).")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="spec files or folders")
    parser.add_argument("--format", choices=("text", "json", "github"), default="text")
    parser.add_argument("--strict", action="store_true", help="exit 2 when there are warnings only")
    parser.add_argument("--explain", action="store_true", help="print each merged spec (after extends) as JSON")
    parser.add_argument("--samples", action="append", default=[], metavar="DIR", help="also replay the recorded samples under DIR (tests/fixtures layout: DIR/<provider>/<case>/case.yaml); repeatable")
    parser.add_argument("--no-builtin-samples", action="store_true", help="do not replay the samples shipped with specwire")
    args = parser.parse_args(argv)
    issues = validate_paths(args.paths, args.samples, builtin_samples=not args.no_builtin_samples)
    if args.format == "json":
        print(json.dumps([{"file": i.file, "line": i.line, "col": i.col, "level": i.level, "rule": i.rule, "path": i.path, "message": i.message} for i in issues], indent=2))
    else:
        for i in issues:
            if args.format == "github":
                print(f"::{i.level} file={i.file},line={i.line},col={i.col},title={i.rule}::{i.message}")
            else:
                print(i.format())
    if args.explain:
        _explain(args.paths)
    if any(i.level == "error" for i in issues):
        return 1
    if issues and args.strict:
        return 2
    return 0


def _explain(paths: list[str]) -> None:
    from ..errors import SpecwireError
    from ..registry import SpecRegistry

    from ..spec.files import BASES_DIR

    files = _files(paths)
    registry = SpecRegistry(list(dict.fromkeys(str(_spec_folder(f)) for f in files)), user_config=False)
    for f in files:
        if f.parent.name == BASES_DIR:
            print(f"# {f}: an abstract spec (never a provider); see the specs that extend it", file=sys.stderr)
            continue
        try:
            print(json.dumps(registry.get(f.stem).data, indent=2, ensure_ascii=False))
        except SpecwireError as exc:
            print(f"# {f}: {exc}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
