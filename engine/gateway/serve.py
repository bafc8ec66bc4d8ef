"""``specwire serve ROUTER.yaml [--host] [--port] [--workers]``: the gateway under uvicorn.

The config is loaded (and the app built) once in the parent process first, so a bad config fails
at once with exit status 2.  With ``--workers N`` > 1 uvicorn starts N processes that each build
the app from the same file (:func:`app_from_env`, reading ``SPECWIRE_GATEWAY_CONFIG``), and
their metrics are summed through prometheus_client's multiprocess mode (a temporary directory
made before they start, removed on exit: :mod:`specwire.gateway.metrics`).  On
SIGINT/SIGTERM uvicorn stops accepting connections and waits up to ``--drain-timeout`` seconds
(default :data:`DRAIN_TIMEOUT`; ``--graceful-timeout`` is the same option) for in-flight
requests, streams included, before closing them; after a SIGTERM the exit status is 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from typing import Any

__all__ = ["CONFIG_ENV", "DRAIN_TIMEOUT", "add_arguments", "app_from_env", "run"]

#: The environment variables through which worker processes find the config file and log level.
CONFIG_ENV = "SPECWIRE_GATEWAY_CONFIG"
_LEVEL_ENV = "SPECWIRE_GATEWAY_LOG_LEVEL"
#: Seconds a shutdown waits for in-flight requests by default (``--drain-timeout``).
DRAIN_TIMEOUT = 30.0


def _log_to_stderr(level: str) -> None:
    """One line per request on stderr from the ``specwire.gateway`` logger (uvicorn sets up only its own)."""
    import logging

    logger = logging.getLogger("specwire.gateway")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` subcommand's arguments."""
    parser.add_argument("config", metavar="ROUTER.yaml", help="a router config; its gateway: section lists the keys")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4000, help="port to listen on (default 4000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--drain-timeout", "--graceful-timeout", dest="drain_timeout", type=float, default=DRAIN_TIMEOUT, metavar="SECONDS",
                        help=f"on SIGTERM/SIGINT, how long to wait for in-flight requests, streams included, before closing them (default {DRAIN_TIMEOUT:g})")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


def app_from_env() -> Any:
    """The app of the config named by ``SPECWIRE_GATEWAY_CONFIG`` (uvicorn's factory for workers)."""
    from .app import create_app

    _log_to_stderr(os.environ.get(_LEVEL_ENV, "info"))
    return create_app(os.environ[CONFIG_ENV])


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit status.  Raises
    :class:`~specwire.errors.SpecwireError` for a bad config (the CLI prints it, status 2)."""
    from ..errors import ConfigError

    try:
        import prometheus_client  # noqa: F401  # pyright: ignore[reportUnusedImport] - the app's metrics need it
        import uvicorn
    except ImportError:
        raise ConfigError("specwire serve needs the gateway extra: pip install 'specwire[gateway]'") from None
    from .app import create_app

    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    _log_to_stderr(args.log_level)
    app = create_app(args.config)  # fails here, in the parent, on a bad config
    common: dict[str, Any] = {"host": args.host, "port": args.port, "log_level": args.log_level,
                              "timeout_graceful_shutdown": args.drain_timeout}
    # uvicorn drains, then raises the SIGTERM it caught again: once drained, that is a clean exit
    main = threading.current_thread() is threading.main_thread()  # only the main thread may set signal handlers
    previous = signal.signal(signal.SIGTERM, _stopped) if main else None
    try:
        if args.workers == 1:
            uvicorn.run(app, **common)
            return 0
        return _run_workers(app, args, uvicorn, common)
    except _Stopped:
        return 0
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)


class _Stopped(Exception):
    """SIGTERM came (after uvicorn's drain, or before it started serving)."""


def _stopped(signum: int, frame: Any) -> None:
    raise _Stopped


def _run_workers(app: Any, args: argparse.Namespace, uvicorn: Any, common: dict[str, Any]) -> int:
    """Serve with ``args.workers`` processes; their metrics go to a temporary multiprocess
    directory (:data:`~specwire.gateway.metrics.MULTIPROC_ENV`, unless already set), removed on exit."""
    import shutil
    import tempfile

    from .metrics import MULTIPROC_ENV

    os.environ[CONFIG_ENV] = os.path.abspath(args.config)
    os.environ[_LEVEL_ENV] = args.log_level
    app.state.gateway.router.close()  # each worker builds its own
    made = None
    if not os.environ.get(MULTIPROC_ENV):
        made = os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="specwire-gateway-metrics-")
    try:
        uvicorn.run("specwire.gateway.serve:app_from_env", factory=True, workers=args.workers, **common)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)
    return 0
