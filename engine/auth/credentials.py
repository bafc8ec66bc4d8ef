"""What an auth factory receives (pure; no httpx)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..redact import Secret

__all__ = ["Credentials"]


@dataclass(frozen=True)
class Credentials:
    """The resolved ``api_key`` (a :class:`Secret`, or ``None``), ``source`` (where it came from,
    e.g. ``"env:OPENAI_API_KEY"`` or ``"argument"``; never the value), the call's non-secret
    ``settings`` (region, project…) and the ``env`` mapping the client reads (hooks that find their
    own credentials, such as AWS's, read the standard variables from it), and the caller's
    ``trusted_hosts`` (extra destinations a hook that checks its own may accept)."""

    api_key: Secret | None = None
    source: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    env: Any = None
    trusted_hosts: tuple[str, ...] = ()
