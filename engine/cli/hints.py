"""Which ``--stream-mode`` would read a body that the chosen framing refused at its first byte.

A spec may declare several stream modes with different framings (Gemini: the default
``json-array`` and ``sse`` for ``alt=sse``).  When a recorded body fails to frame at byte 0, each
other mode's framing is tried on it; the modes whose framing reads it whole, with at least one
frame, are named.  Nothing here knows a provider: the modes and framings come from the spec.
"""

from __future__ import annotations

import gzip
from typing import Any

__all__ = ["stream_mode_hint"]


def stream_mode_hint(error: BaseException, spec: Any, body: bytes, mode: str | None) -> str | None:
    """``"the body is not json-array framing; pass --stream-mode sse"`` when ``error`` is a
    :class:`~specwire.FramingError` at byte 0, ``spec`` declares stream modes and another mode's
    framing accepts ``body`` (gzip bodies are read decompressed); ``None`` otherwise."""
    from ..errors import FramingError

    if not isinstance(error, FramingError) or error.offset != 0 or not spec.stream_modes:
        return None
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            return None
    failed = spec.stream_config(mode).framing
    fits = [name for name in [None, *spec.stream_modes] if name != mode and _reads(spec.stream_config(name).framing, failed, body)]
    if not fits:
        return None
    flags = " or ".join("leave out --stream-mode" if name is None else f"pass --stream-mode {name}" for name in fits)
    return f"the body is not {failed} framing; {flags}"


def _reads(framing: str, failed: str, body: bytes) -> bool:
    """The framing decodes the whole body into at least one frame."""
    from .. import hooks
    from ..errors import SpecwireError

    if framing == failed:
        return False
    try:
        decoder = hooks.framing_factory(framing)()
        frames = decoder.decode(body) + decoder.flush()
    except (SpecwireError, LookupError, ValueError):
        return False
    return bool(frames)
