"""MkDocs hook (mkdocs.yml ``hooks:``): let mkdocstrings find the ``specwire`` package.

``mkdocs`` runs as a console script, so the first entry of ``sys.path`` is the scripts folder of
its environment, which also holds specwire's own ``specwire`` console script; griffe finds that
file first and takes it for the package. Dropping that folder from the search path leaves the
installed (editable) package, whose source is ``engine/``.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from typing import Any


def on_startup(**kwargs: Any) -> None:
    scripts = {os.path.realpath(sysconfig.get_path("scripts")), os.path.realpath(os.path.dirname(sys.argv[0] or "."))}
    sys.path[:] = [p for p in sys.path if not (p and os.path.realpath(p) in scripts)]


# The docstrings use Sphinx roles (:class:`Client`, :meth:`~specwire.Client.stream`), which
# Markdown renders as ":class:" followed by code; show just the code, with a leading ``~`` meaning
# "the last component", as Sphinx does.
_ROLE = re.compile(r":(?:class|meth|func|mod|attr|data|exc|obj|const):<code>(~?)([^<]*)</code>")


def _role(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_role, html)
