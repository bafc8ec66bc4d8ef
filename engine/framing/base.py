"""The frame envelope and the framing protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_FRAME_BYTES", "Frame", "Framing"]

#: Largest single frame (an SSE event's data, one JSON-array element), in bytes.
DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024
#: Largest non-streaming body, in bytes (after content decoding).
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Frame:
    """One framing-neutral unit: ``event`` is the SSE event name (``None`` when there is none) and
    ``text`` the payload (an SSE ``data`` field, one JSON-array element, a whole JSON body)."""

    event: str | None
    text: str


class Framing(Protocol):
    """An incremental decoder; see the package docstring."""

    def decode(self, data: bytes) -> list[Frame]: ...

    def flush(self) -> list[Frame]: ...
