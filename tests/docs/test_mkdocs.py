"""The documentation site (mkdocs.yml): the API reference covers the public surface, and
``mkdocs build --strict`` passes (broken links, unknown objects and docstring problems fail it).

The build needs the ``docs`` extra (``pip install -e '.[docs]'``); without it that test is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import specwire
from tests.conftest import ROOT

REFERENCE = ROOT / "docs" / "reference"
#: Public names documented elsewhere: the version string, the hook registries (documented in
#: docs/ARCHITECTURE.md section 5) and an alias (``APIConnectionError`` is ``TransportError``).
NOT_ON_A_REFERENCE_PAGE = {"__version__", "hooks", "APIConnectionError"}


def _directives() -> set[str]:
    found = set()
    for page in REFERENCE.glob("*.md"):
        found |= set(re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), flags=re.MULTILINE))
    return found


def test_reference_pages_cover_the_public_api() -> None:
    documented = {d.rsplit(".", 1)[-1] for d in _directives()}
    missing = sorted(set(specwire.__all__) - documented - NOT_ON_A_REFERENCE_PAGE)
    assert missing == [], f"add `::: specwire.<module>.<name>` for these to a page in docs/reference/: {missing}"


def test_every_reference_page_and_guide_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(nav: object) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [p for item in nav for p in pages(item)]
        if isinstance(nav, dict):
            return [p for value in nav.values() for p in pages(value)]
        return []

    in_nav = set(pages(config["nav"]))
    on_disk = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert on_disk - in_nav == set(), "add these pages to `nav` in mkdocs.yml"
    assert in_nav - on_disk == set(), "the nav of mkdocs.yml names pages that do not exist"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings_handlers") is None, reason="the docs extra is not installed (pip install -e '.[docs]')")
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    client_page = (tmp_path / "site" / "reference" / "client" / "index.html").read_text(encoding="utf-8")
    # the docstrings were collected (not just the page titles), and Sphinx roles were cleaned up
    assert "process-wide" in client_page and "Send one request" in client_page
    assert ":class:" not in client_page
