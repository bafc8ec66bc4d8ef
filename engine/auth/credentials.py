"""What an auth factory receives (pure; no httpx)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..redact import Secret

__all__ = ["Credentials"]


@dataclass(frozen=True)
class Credentials:
    """The resolved ``api_key`` (a :class:`Secret`, or ``None``), ``source`` (where it came from,
    e.g. ``"env:OPENAI_API_KEY"`` or ``"argument"``; never the value) and scheme-specific
    ``extra`` values."""

    api_key: Secret | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
