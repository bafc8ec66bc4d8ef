"""The frame envelope and the framing protocol."""

from __future__ import annotations

from typing import NamedTuple, Protocol

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_FRAME_BYTES", "Frame", "Framing"]

#: Largest single frame (an SSE event's data, one JSON-array element), in bytes.
DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024
#: Largest non-streaming body, in bytes (after content decoding).
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


class Frame(NamedTuple):
    """One framing-neutral unit: ``event`` is the event name (an SSE ``event`` field, an AWS
    event-stream ``:event-type`` header; ``None`` when there is none), ``text`` the payload (an SSE
    ``data`` field, one JSON-array element, an event-stream payload, a whole JSON body) and
    ``headers`` any framing-level headers (AWS event-stream ``:message-type``…; ``None`` if none).
    A named tuple: one is made per stream chunk."""

    event: str | None
    text: str
    headers: dict[str, object] | None = None


class Framing(Protocol):
    """An incremental decoder; see the package docstring."""

    def decode(self, data: bytes) -> list[Frame]: ...

    def flush(self) -> list[Frame]: ...
