"""``validate-spec PATH...``: lint provider specs (and router configs); no network.

Prints one line per problem, ``file:line:col: level [rule] message`` (yamllint's parsable format),
or ``--format json`` / ``--format github`` (workflow annotations).  A folder argument means every
``*.yaml``/``*.yml`` directly inside it.  ``extends`` resolves against the files given, their
folders, ``$SPECWIRE_PROVIDERS_PATH`` and the built-in specs.  ``--explain`` prints the merged spec.

Exit status: 0 clean, 1 errors, 2 warnings only and ``--strict``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main", "validate_paths"]


def _files(paths: list[str]) -> list[Path]:
    """The spec files named, and those directly inside named folders (a symlink leaving its folder
    is skipped there, as the registry skips it; the registry reports it)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            real = p.resolve()
            out += sorted(
                q for q in p.iterdir()
                if q.suffix in (".yaml", ".yml") and q.is_file() and not q.name.startswith(".")
                and (not q.is_symlink() or real in q.resolve().parents)
            )
        else:
            out.append(p)
    return out


def validate_paths(paths: list[str]) -> list[object]:
    """Every issue of the given spec files and folders (see the module docstring)."""
    from ..registry import SpecRegistry
    from ..spec.issues import SpecIssue

    files = _files(paths)
    folders = list(dict.fromkeys([str(f.parent) for f in files] + [p for p in paths if Path(p).is_dir()]))
    registry = SpecRegistry(folders, user_config=False)
    issues: list[SpecIssue] = []
    for f in files:
        if not f.exists():
            issues.append(SpecIssue(str(f), 1, 1, "file", "no such file"))
            continue
        from ..router.config import is_router_config, lint_router_config

        if is_router_config(f):  # a router config (top-level `router:`), linted against its schema
            issues += lint_router_config(f, registry=registry)
            continue
        issues += registry.check_file(f)
    # what the registry noticed about these files and folders: symlinks leaving a folder,
    # writable folders, built-in overrides
    named = {Path(p).resolve() for p in folders} | {f.resolve() for f in files}
    for warning in registry.warnings:
        where = Path(warning.file)
        if where.resolve() in named or where.parent.resolve() in named or where.absolute().parent.resolve() in named:
            if warning not in issues:
                issues.append(warning)
    return issues


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="validate-spec", description="Lint specwire provider specs (no network).")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="spec files or folders")
    parser.add_argument("--format", choices=("text", "json", "github"), default="text")
    parser.add_argument("--strict", action="store_true", help="exit 2 when there are warnings only")
    parser.add_argument("--explain", action="store_true", help="print each merged spec (after extends) as JSON")
    args = parser.parse_args(argv)
    issues = validate_paths(args.paths)
    if args.format == "json":
        print(json.dumps([{"file": i.file, "line": i.line, "col": i.col, "level": i.level, "rule": i.rule, "path": i.path, "message": i.message} for i in issues], indent=2))  # type: ignore[attr-defined]
    else:
        for i in issues:
            if args.format == "github":
                print(f"::{i.level} file={i.file},line={i.line},col={i.col},title={i.rule}::{i.message}")  # type: ignore[attr-defined]
            else:
                print(i.format())  # type: ignore[attr-defined]
    if args.explain:
        _explain(args.paths)
    if any(i.level == "error" for i in issues):  # type: ignore[attr-defined]
        return 1
    if issues and args.strict:
        return 2
    return 0


def _explain(paths: list[str]) -> None:
    from ..errors import SpecwireError
    from ..registry import SpecRegistry

    files = _files(paths)
    registry = SpecRegistry(list(dict.fromkeys(str(f.parent) for f in files)), user_config=False)
    for f in files:
        try:
            print(json.dumps(registry.get(f.stem).data, indent=2, ensure_ascii=False))
        except SpecwireError as exc:
            print(f"# {f}: {exc}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
