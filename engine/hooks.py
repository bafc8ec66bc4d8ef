"""The escape-hatch registries (docs/ARCHITECTURE.md section 5): auth schemes and stream framings,
referenced from YAML by name, never by a Python path.

Built-ins register exactly as third-party hooks do.  A third-party distribution exposes an entry
point in the group ``specwire.hooks`` whose value is a callable ``register(hooks)``; it calls
``hooks.register_auth(name, factory)`` or ``hooks.register_framing(name, factory)``.  Entry points are loaded only when asked for
(``load_entry_points()``; :class:`specwire.Client` does it unless told not to), and only from
installed distributions: a YAML string is never imported (docs/RELIABILITY.md T9).

Contracts:

* auth: ``factory(auth_spec: dict, credentials: Credentials) -> httpx.Auth``; a factory with the
  attribute ``requires_api_key = True`` is only called with a key (the client raises a
  ``ConfigError`` naming the spec's env variables otherwise); a factory that finds its own
  credentials may have an attribute ``offline(auth_spec, credentials) -> bool`` saying whether it
  builds and applies its auth without network I/O (``specwire render`` then shows the signed request);
* framing: ``factory(**limits) -> Framing`` (see :mod:`specwire.framing`).

Built-in auth and framing factories are imported lazily, so linting a spec does not import httpx.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from .suggest import closest

__all__ = [
    "ENTRY_POINT_GROUP",
    "auth_factory",
    "framing_factory",
    "known",
    "load_entry_points",
    "register_auth",
    "register_framing",
    "suggest",
]

ENTRY_POINT_GROUP = "specwire.hooks"

# name -> a factory, or a "module:attribute" string inside this package resolved on first use.
_REGISTRIES: dict[str, dict[str, Any]] = {
    "auth": {
        "none": "specwire.auth.basic:none_auth",
        "bearer": "specwire.auth.basic:bearer_auth",
        "header": "specwire.auth.basic:header_auth",
        "query": "specwire.auth.basic:query_auth",
        "aws-sigv4": "specwire.auth.sigv4:sigv4_auth",
        "google-oauth": "specwire.auth.google:google_oauth_auth",
        "azure-ad": "specwire.auth.azure:azure_ad_auth",
    },
    "framing": {
        "sse": "specwire.framing.sse:SSEFraming",
        "json-array": "specwire.framing.json_array:JSONArrayFraming",
        "ndjson": "specwire.framing.lines:NDJSONFraming",
        "json": "specwire.framing.lines:JSONBodyFraming",
        "aws-eventstream": "specwire.framing.eventstream:EventStreamFraming",
        "aws-eventstream-payload": "specwire.framing.eventstream:PayloadChunkFraming",
    },
}
_lock = threading.Lock()
_entry_points_loaded = False


class UnknownHook(LookupError):
    """A hook name nobody registered; ``suggestion`` is the closest known name, if any."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name = kind, name
        self.suggestion = suggest(kind, name)
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        super().__init__(f"unknown {kind} {name!r}{hint}; known: {', '.join(known(kind))}")


def _register(kind: str, name: str, obj: Any) -> None:
    if not isinstance(name, str) or not name:  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
        raise ValueError("a hook needs a non-empty name")
    with _lock:
        _REGISTRIES[kind][name] = obj


def register_auth(name: str, factory: Callable[..., Any]) -> None:
    """Register an auth scheme: ``factory(auth_spec, credentials) -> httpx.Auth``."""
    _register("auth", name, factory)


def register_framing(name: str, factory: Callable[..., Any]) -> None:
    """Register a stream framing: ``factory(**limits) -> Framing``."""
    _register("framing", name, factory)


def known(kind: str) -> list[str]:
    """The registered names of one kind (``auth``, ``framing``), sorted."""
    return sorted(_REGISTRIES[kind])


def suggest(kind: str, name: str) -> str | None:
    """The closest registered name, for did-you-mean messages."""
    return closest(name, known(kind))


def _get(kind: str, name: str) -> Any:
    obj = _REGISTRIES[kind].get(name)
    if obj is None:
        raise UnknownHook(kind, name)
    if isinstance(obj, str):
        module, _, attr = obj.partition(":")
        obj = getattr(importlib.import_module(module), attr)
        with _lock:
            _REGISTRIES[kind][name] = obj
    return obj


def auth_factory(name: str) -> Callable[..., Any]:
    return _get("auth", name)  # type: ignore[no-any-return]


def framing_factory(name: str) -> Callable[..., Any]:
    return _get("framing", name)  # type: ignore[no-any-return]


def load_entry_points() -> None:
    """Run every ``specwire.hooks`` entry point of the installed distributions (once)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    import sys
    from importlib.metadata import entry_points  # scans the installed distributions: only when asked

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        register = ep.load()
        register(sys.modules[__name__])
