"""Stream framings: incremental, pure decoders from body bytes to frames (docs/ARCHITECTURE.md section 5).

Every framing has the shape of httpx's decoders: ``decode(data: bytes) -> list[Frame]`` and
``flush() -> list[Frame]`` (end of body).  A framing is correct for every split of its input: the
frames do not depend on how the bytes were chunked.  Errors are :class:`~specwire.FramingError`
(malformed or oversized input) and :class:`~specwire.IncompleteStreamError` (the body ended inside
a unit).

Built-ins: ``sse`` (the WHATWG event-stream interpretation, one pass over the bytes), ``json-array`` (Gemini's default
``streamGenerateContent``), ``ndjson`` and ``json`` (a whole non-streaming body).  They register
through :mod:`specwire.hooks` like third-party framings do.
"""

from __future__ import annotations

from .base import Frame, Framing

__all__ = ["Frame", "Framing"]
