"""URL templates: a spec's ``base_url`` and ``path`` (docs/RELIABILITY.md T4).  Pure.

In a URL template the *literal text* is structure, written by the spec's author, and every
``{{ … }}`` output is *data*: a model id, a deployment, a project, a region.  Data is placed, never
parsed as structure, so a model named ``../../evil``, ``x?key=leak&a=`` or ``x#frag`` cannot move
the request to another path, add a query parameter or drop the method suffix:

* in the path, each value is percent-encoded as (part of) **one path segment**
  (``urllib.parse.quote(value, safe="@")``: ``/``, ``?``, ``#``, ``%``, ``:`` all encoded, as
  botocore does for Bedrock's ``/model/{modelId}/converse``; ``@``, harmless in a path, is kept for
  Vertex's ``claude-haiku-4-5@20251001``), and a path that ends up with a ``.`` or ``..`` segment
  is refused; a ``path`` template must begin with its literal ``/``;
* in the host (``https://bedrock-runtime.{{ settings.region }}.amazonaws.com``), a value must be
  DNS labels (letters, digits, ``-``, dots between labels), else the build is refused;
* in the query, a value is percent-encoded for the query; in the scheme or the fragment, values
  are refused.

A value that should span several segments (a Vertex resource name ``publishers/google/models/x``)
is split by the template itself, with the ``/`` as literal text::

    {% for segment in model.split('/') %}{{ segment }}{% if not loop.last %}/{% endif %}{% endfor %}

Refusals are :class:`~specwire.render.TemplateFailure` (not a sandbox failure), which the request
builder reports as :class:`~specwire.RequestBuildError`.  Which component a value lands in is read
from the literal text around it (``://``, ``/``, ``?``, ``#``), after rendering, so ``{% if %}``
blocks may choose the structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from jinja2 import TemplateError, Undefined, pass_context
from jinja2.exceptions import SecurityError

from .render import RENDER_ERRORS, TemplateFailure, bounded_join, TemplateEnv
from .template_checks import refuse_unsafe

__all__ = ["UrlTemplate", "compile_url"]

#: Stands for each value in the rendered skeleton; refused in a template's literal text.
_HOLE = "\x00"
_SINK = "\x00values"
#: Kept as is in a path segment besides letters, digits and ``-._~``.
_PATH_SAFE = "@"
_LABELS = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*")


@pass_context
def _collect(context: Any, value: Any) -> str:
    """Jinja's ``finalize``: every ``{{ … }}`` output goes to the render's sink; the text gets a
    hole in its place."""
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises, naming what is missing
    context.get(_SINK).append(value)
    return _HOLE


class _UrlEnv(TemplateEnv):
    def __init__(self) -> None:
        super().__init__()
        self.finalize = _collect


_URL_ENV = _UrlEnv()


class UrlTemplate:
    """A compiled ``base_url`` or ``path`` template; ``render(ctx)`` returns the URL text with every
    value encoded for its place (see the module docstring) or raises :class:`TemplateFailure`.
    ``kind``: ``"base_url"`` (scheme and host first) or ``"path"`` (a path, then maybe a query)."""

    __slots__ = ("_template", "is_constant", "kind", "path", "source", "where")

    def __init__(self, source: Any, kind: str, where: str = "", path: tuple[object, ...] = ()) -> None:
        self.source, self.kind, self.where, self.path = source, kind, where, path
        text = "" if source is None else str(source)
        if _HOLE in text:
            raise TemplateFailure(where, "a URL template may not contain a NUL character", path)
        if kind == "path" and text.lstrip().startswith("{{"):
            raise TemplateFailure(where, f"{text!r}: a path template begins with its literal '/' (in a URL template the literal text is the structure and each {{{{ value }}}} one encoded path segment)", path)
        self.is_constant = "{{" not in text and "{%" not in text and "{#" not in text
        if self.is_constant:
            self._template: Any = text
            return
        try:
            refuse_unsafe(_URL_ENV.parse(text))
            self._template = _URL_ENV.from_string(text)
        except TemplateError as exc:
            raise TemplateFailure(where, f"{text!r}: {exc}", path) from None

    def __repr__(self) -> str:
        return f"UrlTemplate({self.source!r})"

    def render(self, ctx: Mapping[str, Any]) -> str:
        """The URL text for ``ctx``; raises :class:`TemplateFailure` (``security`` set for a
        sandbox check or cap, as :class:`~specwire.render.CompiledTree` does)."""
        if self.is_constant:
            return self._template  # type: ignore[no-any-return]
        values: list[Any] = []
        try:
            text = bounded_join(self._template.generate({**ctx, _SINK: values}))
        except SecurityError as exc:
            raise TemplateFailure(self.where, str(exc), self.path, security=True) from None
        except RENDER_ERRORS as exc:
            raise TemplateFailure(self.where, str(exc), self.path) from None
        return self._assemble(text.split(_HOLE), values)

    # ------------------------------------------------------------------ placing the values
    def _assemble(self, pieces: list[str], values: list[Any]) -> str:
        place = "scheme" if self.kind == "base_url" else "path"
        out: list[str] = []
        for i, literal in enumerate(pieces):
            out.append(literal)
            place = _place_after(place, "".join(out) if place == "scheme" else literal)
            if i < len(values):
                out.append(self._encode(values[i], place))
        url = "".join(out)
        self._check_path(url)
        return url

    def _encode(self, value: Any, place: str) -> str:
        text = _text(value)
        if place == "host":
            if not _LABELS.fullmatch(text):
                raise TemplateFailure(self.where, f"{text!r} is not a host name part (letters, digits, '-' and dots between labels)", self.path)
            return text
        if place == "path":
            return quote(text, safe=_PATH_SAFE)
        if place == "query":
            return quote(text, safe="")
        raise TemplateFailure(self.where, f"a template value may not make up the {place} of a URL", self.path)

    def _check_path(self, url: str) -> None:
        rest = url.split("://", 1)[1] if self.kind == "base_url" and "://" in url else url
        if self.kind == "base_url":
            rest = rest[len(re.split(r"[/?#]", rest, maxsplit=1)[0]):]
        path = re.split(r"[?#]", rest, maxsplit=1)[0]
        if self.kind == "path" and path and not path.startswith("/"):
            raise TemplateFailure(self.where, f"the URL path {path!r} does not begin with '/' (in a URL template the literal text is the structure: write the slashes outside {{{{ }}}})", self.path)
        if any(segment in (".", "..") for segment in path.split("/")):
            raise TemplateFailure(self.where, f"the URL path {path!r} has a '.' or '..' segment", self.path)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _place_after(place: str, literal: str) -> str:
    """Where the next value lands, given the place so far and the literal text just written (for
    the scheme: everything written so far)."""
    if place == "scheme":
        if "://" not in literal:
            return "scheme"
        place, literal = "host", literal.split("://", 1)[1]
    for char in literal:
        if char == "#":
            return "fragment"
        if char == "?" and place != "fragment":
            place = "query"
        elif char == "/" and place == "host":
            place = "path"
    return place


def compile_url(source: Any, kind: str, where: str = "", path: tuple[object, ...] = ()) -> UrlTemplate:
    """Compile a ``base_url`` (``kind="base_url"``) or ``path`` (``kind="path"``) template; raises
    :class:`TemplateFailure` on a syntax error or a construct specs may not use."""
    return UrlTemplate(source, kind, where, path)
