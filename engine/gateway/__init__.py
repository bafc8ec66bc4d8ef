"""specwire.gateway: an HTTP gateway over the :class:`~specwire.router.Router` that speaks the APIs
whose specs declare a ``serve:`` section (OpenAI Chat Completions today).

    >>> from specwire.gateway import create_app
    >>> app = create_app("router.yaml")        # doctest: +SKIP  (an ASGI app; uvicorn serves it)

or from the command line: ``specwire serve router.yaml --host 127.0.0.1 --port 4000``
(docs/gateway.md).  Needs the ``gateway`` extra (Starlette, uvicorn and prometheus_client).

Modules: :mod:`~specwire.gateway.app` (the Starlette app and its endpoints),
:mod:`~specwire.gateway.config` (gateway keys, limits, the ``gateway:`` config section),
:mod:`~specwire.gateway.errors` (exceptions → status, message, ``retry-after``),
:mod:`~specwire.gateway.limits` (each key's ``rpm``, ``tpm`` and budget, in the router's state),
:mod:`~specwire.gateway.metrics` (the Prometheus metrics of ``GET /metrics``),
:mod:`~specwire.gateway.wire` (a spec's ``serve:`` section: the wire request in, replies,
stream events and errors out),
:mod:`~specwire.gateway.serve` (``specwire serve``).  Public names are imported lazily.
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:  # pragma: no cover - explicit re-exports for type checkers
    from .app import create_app as create_app
    from .config import GatewayConfig as GatewayConfig
    from .config import GatewayKey as GatewayKey
    from .config import key_digest as key_digest
    from .errors import GatewayError as GatewayError

_EXPORTS: dict[str, str] = {
    "create_app": "app",
    "GatewayConfig": "config",
    "GatewayKey": "config",
    "key_digest": "config",
    "GatewayError": "errors",
}

__all__ = ["GatewayConfig", "GatewayError", "GatewayKey", "create_app", "key_digest"]


def __getattr__(name: str) -> _Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'specwire.gateway' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
