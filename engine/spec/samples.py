"""Recorded samples for ``validate-spec``: every event rule run against real response bodies
(docs/RELIABILITY.md T3: a mistyped JMESPath path resolves to ``None`` silently and drops every delta).

A *sample* is a response body recorded from a live provider, in the case layout of tests/fixtures:
a folder holding ``case.yaml`` and the body file its ``replay`` block names::

    replay: {provider: acme, body: stream.sse, stream: true, framing: sse}
    request_summary: {model: acme-large}   # optional: the model the body answers
    expected: {error: …}                   # optional: a recorded error; ending in one is then fine

A case with ``replay.status`` (an HTTP error body) exercises no event rule and is skipped.

A sample *fits* a spec when its ``replay.provider`` is the spec or one of its ``extends``
ancestors (for a built-in sample: one whose file is the built-in spec, so that a user file reusing
a built-in id for another wire API is not replayed the built-in's traffic) and, for a stream, its
framing is one the spec reads (``stream.framing`` or a ``stream.modes`` framing).  Each fitting sample is replayed through the spec's own framing, rules
and assembler (:class:`~specwire.process.ResponseProcessor`, no network), watching every rule that
fires (:data:`specwire.mapping.Observer`).  Findings, as :class:`SpecIssue`:

* ``mapping-null``: a rule whose required fields (per ``emit``, the groups of
  :mod:`specwire.spec.checks`: ``delta`` for ``text_delta``, one of ``tool_name``/``tool_call_id``
  for ``tool_call_start``…; value fields only, not the ``set``/``append`` metadata maps)
  resolved to null on *every* frame the rule matched, over all the samples it matched in.  A
  field that is null only sometimes is fine.  Located at the field, and reported only when the
  checked file defines the rule (an inherited rule is its own file's business: rules are
  replaced whole by ``extends``).
* ``sample-replay``: a sample that cannot be read, or that does not replay through the spec
  (framing error, a rule failing to evaluate, a stream without its end, any exception) although it
  was not recorded as an error.
* ``usage-unmapped``: a field of a usage object the samples hold that the spec neither maps to
  ``Usage`` nor lists in ``usage.raw_fields`` (:mod:`specwire.spec.usage_fields`).  Located at
  the spec's ``usage:`` key when the checked file writes one.

The built-in samples ship in the package (``specwire.samples``, a few recordings per built-in API
family copied from tests/fixtures; its README says from where), so the check works from a wheel.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from ..mapping import Observer
from ..process import ResponseProcessor
from .checks import EMIT_NEEDS
from .compile import CompiledSpec, Rule
from .issues import SourceMap, SpecIssue
from .usage_fields import UNMAPPED_RULE, accounted_paths, unaccounted, usage_paths

__all__ = ["MAX_SAMPLE_BYTES", "Sample", "builtin_samples", "fits", "load_case", "load_samples", "replay", "required_groups", "sample_issues"]

#: A body larger than this is not read (a sample is a short recording).
MAX_SAMPLE_BYTES = 8 * 1024 * 1024
MAX_CASE_BYTES = 1024 * 1024
NULL_RULE = "mapping-null"
REPLAY_RULE = "sample-replay"


@dataclass(frozen=True, slots=True)
class Sample:
    """One recorded body and how to replay it.  ``name`` is the case ``id`` for a built-in sample
    (``<provider>/<case>``, as in tests/fixtures) and the case folder for others; ``framing`` is
    ``json`` for a non-stream body."""

    name: str
    provider: str
    body: bytes
    stream: bool
    framing: str
    model: str
    expects_error: bool


class _BadCase(Exception):
    """A case folder that cannot be turned into a :class:`Sample` (the message says why)."""


# ---------------------------------------------------------------------------- loading
def builtin_samples() -> tuple[list[Sample], list[SpecIssue]]:
    """The samples shipped in the package (``specwire.samples``)."""
    root = Path(str(files("specwire.samples")))
    return load_samples(root, builtin=True)


def load_samples(root: Path, *, builtin: bool = False) -> tuple[list[Sample], list[SpecIssue]]:
    """The samples under ``root``: a case folder, a folder of case folders, or a folder of provider
    folders of case folders (tests/fixtures).  Unreadable cases become ``sample-replay`` issues."""
    if not root.is_dir():
        return [], [SpecIssue(str(root), 1, 1, REPLAY_RULE, "no such sample folder")]
    cases = _case_files(root)
    if not cases:
        return [], [SpecIssue(str(root), 1, 1, REPLAY_RULE, "no case.yaml here, nor in its subfolders (layout: DIR/<provider>/<case>/case.yaml)")]
    samples: list[Sample] = []
    issues: list[SpecIssue] = []
    for case_file in cases:
        try:
            sample = load_case(case_file, None if builtin else str(case_file.parent))
        except _BadCase as exc:
            issues.append(SpecIssue(str(case_file), 1, 1, REPLAY_RULE, f"sample {case_file.parent}: {exc}"))
            continue
        if sample is not None:
            samples.append(sample)
    return samples, issues


def _case_files(root: Path) -> list[Path]:
    """``case.yaml`` in ``root`` and up to two folder levels below it, sorted."""
    found = [root / "case.yaml", *root.glob("*/case.yaml"), *root.glob("*/*/case.yaml")]
    return sorted({p for p in found if p.is_file()})


def load_case(case_file: Path, name: str | None = None) -> Sample | None:
    """The sample a ``case.yaml`` describes, named ``name`` (default: its ``id``, else its folder
    name); ``None`` for an HTTP error case (``replay.status``).  Raises :class:`_BadCase`."""
    data = _read_case(case_file)
    rp = data.get("replay")
    if not isinstance(rp, dict):
        raise _BadCase("case.yaml has no `replay` block")
    if rp.get("status"):
        return None
    provider, body_name, stream = rp.get("provider"), rp.get("body"), rp.get("stream")
    if not isinstance(provider, str) or not isinstance(body_name, str) or not isinstance(stream, bool):
        raise _BadCase("`replay` needs provider, body (a file name) and stream (true/false)")
    framing = rp.get("framing") if stream else "json"
    if not isinstance(framing, str):
        raise _BadCase("a stream sample needs `replay.framing`")
    model = (data.get("request_summary") or {}).get("model")
    expected = data.get("expected") or {}
    case_id = data.get("id")
    return Sample(
        name=name or (case_id if isinstance(case_id, str) else case_file.parent.name),
        provider=provider,
        body=_read_body(case_file.parent, body_name),
        stream=stream,
        framing=framing,
        model=model if isinstance(model, str) else "unknown",
        expects_error=bool(isinstance(expected, dict) and expected.get("error")),
    )


def _read_case(case_file: Path) -> dict[str, Any]:
    """``case.yaml`` as data, through PyYAML's safe loader (no tags; the corpus's case files use
    anchors, which the spec loader refuses, and only a few of their keys are read)."""
    if case_file.stat().st_size > MAX_CASE_BYTES:
        raise _BadCase(f"case.yaml is larger than {MAX_CASE_BYTES} bytes")
    try:
        data = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _BadCase(f"case.yaml does not load: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise _BadCase("case.yaml is not a mapping")
    return data


def _read_body(folder: Path, name: str) -> bytes:
    """The body file ``name``, directly inside the case ``folder`` (gunzipped when gzip)."""
    path = folder / name
    if Path(name).name != name or not path.is_file() or path.is_symlink():
        raise _BadCase(f"`replay.body` must name a regular file inside the case folder: {name!r}")
    if path.stat().st_size > MAX_SAMPLE_BYTES:
        raise _BadCase(f"{name} is larger than {MAX_SAMPLE_BYTES} bytes")
    body = path.read_bytes()
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise _BadCase(f"{name}: bad gzip data ({exc})") from None
    return body


# ---------------------------------------------------------------------------- replaying
def _stream_mode(spec: CompiledSpec, framing: str) -> tuple[bool, str | None]:
    """``(the spec reads this framing, the stream mode that does: None for the default)``."""
    if spec.stream.framing == framing:
        return True, None
    mode = next((name for name, cfg in spec.stream_modes.items() if cfg.framing == framing), None)
    return mode is not None, mode


def fits(sample: Sample, spec: CompiledSpec, chain: Iterable[str]) -> bool:
    """Whether ``sample`` was recorded from ``spec``'s wire API: its provider is in ``chain`` (the
    spec's ``extends`` chain, :class:`specwire.registry.FileLint`) and the spec reads its framing."""
    return sample.provider in set(chain) and (not sample.stream or _stream_mode(spec, sample.framing)[0])


def replay(spec: CompiledSpec, sample: Sample, observe: Observer | None = None) -> str | None:
    """Replay ``sample`` through ``spec`` (``observe``: see :data:`specwire.mapping.Observer`).
    Returns why it failed, or ``None`` when it replayed (to ``finish``, or to the error it was
    recorded with)."""
    mode = _stream_mode(spec, sample.framing)[1] if sample.stream else None
    try:
        proc = ResponseProcessor(spec, model=sample.model, stream=sample.stream, stream_mode=mode, observe=observe)
        events = proc.start() + proc.feed(sample.body) + proc.close()
    except Exception as exc:  # noqa: BLE001 - a linter reports; it never crashes on a spec
        return f"{type(exc).__name__}: {exc}"
    last = events[-1]
    if last.type == "error" and not sample.expects_error:
        return f"{type(last.error).__name__}: {last.error}"
    return None


class _Watch:
    """The observer of one spec's replays: per rule (by serial), how often it fired, in which
    samples, and how often each of its required-field groups was entirely null."""

    def __init__(self) -> None:
        self.sample = ""
        self.fired: Counter[int] = Counter()
        self.null: Counter[tuple[int, int]] = Counter()
        self.where: dict[int, list[str]] = {}
        self.usage_paths: dict[str, list[str]] = {}  # usage-object path -> samples holding it

    def __call__(self, rule: Rule, fields: dict[str, Any], meta: dict[str, Any]) -> None:
        self.fired[rule.serial] += 1
        seen = self.where.setdefault(rule.serial, [])
        if self.sample not in seen:
            seen.append(self.sample)
        for i, group in enumerate(required_groups(rule)):
            if all(fields.get(name) is None for name in group):
                self.null[(rule.serial, i)] += 1
        if rule.emit == "usage" and isinstance(fields.get("usage"), dict):
            for path in usage_paths(fields["usage"]):
                seen = self.usage_paths.setdefault(path, [])
                if self.sample not in seen:
                    seen.append(self.sample)


def required_groups(rule: Rule) -> list[tuple[str, ...]]:
    """The rule's required-field groups (a frame must give one field of each group a value),
    limited to the value fields the rule defines.  The metadata maps ``set`` and ``append`` are
    left out: provider metadata is optional by nature (a rule may write ``set`` only to satisfy
    its emit's needs while it opens a part); a group the rule defines nothing of is the
    ``rule-fields`` check's business."""
    defined = {name for name, _ in rule.fields}
    groups = [tuple(f for f in group if f in defined) for group in EMIT_NEEDS.get(rule.emit or "", ())]
    return [g for g in groups if g]


# ---------------------------------------------------------------------------- findings
def sample_issues(spec: CompiledSpec, source: SourceMap, file: str, samples: list[Sample]) -> list[SpecIssue]:
    """Replay each of ``samples`` through ``spec`` and report (see the module docstring).
    ``source`` is the merged spec's source map and ``file`` the checked file."""
    watch = _Watch()
    issues: list[SpecIssue] = []
    for sample in samples:
        watch.sample = sample.name
        failure = replay(spec, sample, watch)
        if failure is not None:
            section = "stream" if sample.stream else "response"
            issues.append(_replay_issue(source, file, section, f"sample {sample.name} does not replay through this spec: {failure}"))
    for serial, path, rule in _rules(spec):
        fired = watch.fired[serial]
        if not fired or not _defined_in(source, path, file):
            continue
        for i, group in enumerate(required_groups(rule)):
            if watch.null[(serial, i)] == fired:
                issues.append(_null_issue(source, path, group, fired, watch.where[serial]))
    for usage_path in unaccounted(watch.usage_paths, accounted_paths(spec.usage)):
        held = watch.usage_paths[usage_path]
        names = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
        message = f"usage field {usage_path!r} (in sample {names}) is neither mapped in usage.fields nor listed in usage.raw_fields"
        issues.append(_section_issue(source, file, "usage", UNMAPPED_RULE, message))
    return issues


def _rules(spec: CompiledSpec) -> list[tuple[int, tuple[object, ...], Rule]]:
    """Every rule and case of the spec with its key path, once each (``response.use_stream_events``
    shares the stream rules)."""
    out: dict[int, tuple[tuple[object, ...], Rule]] = {}
    for section, ruleset in (("stream", spec.stream.rules), ("response", spec.response)):
        for rule in ruleset.rules:
            out.setdefault(rule.serial, ((section, "events", rule.name), rule))
            for i, case in enumerate(rule.cases):
                out.setdefault(case.serial, ((section, "events", rule.name, "cases", i), case))
    return [(serial, path, rule) for serial, (path, rule) in out.items()]


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _defined_in(source: SourceMap, path: tuple[object, ...], file: str) -> bool:
    return _same_file(source.locate(path)[0], file)


def _null_issue(source: SourceMap, rule_path: tuple[object, ...], group: tuple[str, ...], fired: int, samples: list[str]) -> SpecIssue:
    path = rule_path + (group[0],)
    where, line, col = source.locate(path)
    fields = " / ".join(group)
    frames = "the only frame" if fired == 1 else f"every one of the {fired} frames"
    names = ("sample " if len(samples) == 1 else "samples ") + ", ".join(samples)
    message = f"{fields} resolved to null on {frames} its rule matched in {names} (a mistyped path?)"
    return SpecIssue(where, line, col, NULL_RULE, message, path=".".join(str(p) for p in path))


def _replay_issue(source: SourceMap, file: str, section: str, message: str) -> SpecIssue:
    """Located at the spec's ``stream:``/``response:`` key when the checked file writes one, else
    at the top of the file."""
    return _section_issue(source, file, section, REPLAY_RULE, message)


def _section_issue(source: SourceMap, file: str, section: str, rule: str, message: str) -> SpecIssue:
    """Located at the top-level key ``section`` when the checked file writes one, else at the top
    of the file."""
    where, line, col = source.locate_key((section,))
    if not _same_file(where, file):
        where, line, col = file, 1, 1
    return SpecIssue(where, line, col, rule, message, path=section)
