"""References into the docs resolve: code comments, docstrings, tests and the docs themselves cite
"docs/ARCHITECTURE.md section 9.5" or "docs/RELIABILITY.md T4e"; each such section, threat (and
lettered clause) must exist. The stage → module table of docs/ARCHITECTURE.md section 2, and every
repository path the docs name, must exist too, so the architecture page cannot drift from the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCS = ROOT / "docs"
#: Where citations live: the package, maintainer tools, tests, specs, schemas and the docs.
SCANNED = [ROOT / "engine", ROOT / "tools", ROOT / "tests", ROOT / "providers.d", ROOT / "schemas", DOCS, ROOT / "README.md"]
SUFFIXES = {".py", ".md", ".yaml", ".json", ".txt"}

NUMBER = r"\d+(?:\.\d+)?"
SECTIONS = re.compile(rf"\b(ARCHITECTURE|RELIABILITY)\.md,? sections? ({NUMBER}(?:(?:, | and |/){NUMBER})*)")
THREATS = re.compile(r"\bRELIABILITY\.md,? (T\d+[a-z]?(?:(?:, | and |/)T\d+[a-z]?)*)(?: ([a-z])\b)?")


def _files() -> list[Path]:
    out = []
    for place in SCANNED:
        paths = [place] if place.is_file() else sorted(place.rglob("*"))
        out += [p for p in paths if p.is_file() and p.suffix in SUFFIXES and "fixtures" not in p.parts]
    return out


def _sections(doc: str) -> set[str]:
    """Numbered headings: ``## 2. Pipeline`` gives ``2``, ``### 9.5 Templates…`` gives ``9.5``."""
    text = (DOCS / f"{doc}.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#{2,4} (\d+(?:\.\d+)?)\.? ", text, flags=re.MULTILINE))


def _threats() -> dict[str, str]:
    """``T4`` → the text of that threat in docs/RELIABILITY.md section 3."""
    text = (DOCS / "RELIABILITY.md").read_text(encoding="utf-8")
    parts = re.split(r"^\*\*(T\d+):", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_cited_sections_and_threats_exist() -> None:
    sections = {doc: _sections(doc) for doc in ("ARCHITECTURE", "RELIABILITY")}
    threats = _threats()
    assert sections["ARCHITECTURE"] >= {"1", "2", "9.5"} and "T4" in threats  # the parsers see the docs
    broken, seen = [], 0
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(ROOT)
        for doc, numbers in SECTIONS.findall(text):
            for number in re.split(r", | and |/", numbers):
                seen += 1
                if number not in sections[doc]:
                    broken.append(f"{where}: docs/{doc}.md section {number}")
        for refs, letter in THREATS.findall(text):
            for ref in re.split(r", | and |/", refs):
                seen += 1
                threat, sub = re.fullmatch(r"(T\d+)([a-z]?)", ref).groups()  # type: ignore[union-attr]
                sub = sub or letter
                if threat not in threats or (sub and f"({sub})" not in threats[threat]):
                    broken.append(f"{where}: docs/RELIABILITY.md {threat}{sub}")
    assert seen > 50
    assert broken == []


def _stage_table() -> list[tuple[str, str]]:
    text = (DOCS / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("| stage | module(s) | in → out |", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| ([^|]+) \| ([^|]+) \|", table, flags=re.MULTILINE)[1:]


def test_stage_table_names_modules_that_exist() -> None:
    rows = _stage_table()
    assert len(rows) > 15
    missing = []
    for stage, cell in rows:
        for path in re.findall(r"`(engine/[\w/.]+)`", cell):
            if not (ROOT / path).exists():
                missing.append(f"{stage}: {path}")
            # `engine/auth/` (`basic`, `sigv4`…): the modules named in brackets after a package
            if path.endswith("/"):
                listed = re.search(re.escape(path) + r"` \(([^)]*)\)", cell)
                for name in re.findall(r"`(\w+)`", listed[1]) if listed else []:
                    if not (ROOT / path / f"{name}.py").exists():
                        missing.append(f"{stage}: {path}{name}.py")
    assert missing == []


@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md")))
def test_repository_paths_named_in_docs_exist(doc: str) -> None:
    text = (DOCS / doc).read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:engine|tests|tools|schemas|providers\.d|samples|constraints|docs)/[^`\s]*)`", text))
    missing = sorted(p for p in named if not any(c in p for c in "*<{") and not (ROOT / p.split(":")[0]).exists())
    assert missing == []


def test_readme_links_resolve() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("#"):
            if target[1:] not in headings:
                broken.append(target)
        elif not re.match(r"https?://", target) and not (ROOT / target.split("#")[0]).exists():
            broken.append(target)
    assert broken == []


def test_spec_format_reference_covers_the_schema() -> None:
    """docs/ARCHITECTURE.md section 4 is the spec format reference: its table names every
    top-level key of schemas/provider-spec.schema.json and every key of the object-valued sections
    (``params`` is keyed by the generic options, listed in section 3)."""
    import json

    schema = json.loads((ROOT / "schemas" / "provider-spec.schema.json").read_text(encoding="utf-8"))
    text = (DOCS / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("\n## 4. ", 1)[1].split("\n## 5. ", 1)[0]
    rows = {key: set(re.findall(r"`(\w+)", cell)) for key, cell in re.findall(r"^\| `(\w+)`[^|]* \| ([^|]+) \|", section, flags=re.MULTILINE)}
    for cell_keys in re.findall(r"^\| ((?:`\w+`,? ?)+) \|", section, flags=re.MULTILINE):
        for key in re.findall(r"`(\w+)`", cell_keys):
            rows.setdefault(key, set())
    assert sorted(set(schema["properties"]) - set(rows)) == []
    missing = []
    for key, node in schema["properties"].items():
        if key == "params" or not isinstance(node, dict):
            continue
        for sub in node.get("properties", {}):
            if sub not in rows[key]:
                missing.append(f"{key}.{sub}")
    assert missing == []
