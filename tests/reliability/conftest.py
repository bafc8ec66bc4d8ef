"""Fixtures of the reliability suite (docs/RELIABILITY.md section 4): the flavor every row runs in, a
driver factory that closes its clients, the retry-sleep recorder, a log capture at DEBUG for every
logger (httpx and httpcore included), and the hostile loopback servers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import specwire.attempts
from tests.hostile.server import hole, hostile, refused, sink  # noqa: F401  (fixtures)
from tests.reliability.helpers import FLAVORS, Driver, make_client


@pytest.fixture(params=FLAVORS)
def flavor(request: pytest.FixtureRequest) -> str:
    """Every checklist row runs through the sync API and through the async API on both async
    backends (httpx, aiohttp)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def drive(flavor: str) -> Iterator[Callable[..., Driver]]:
    """``drive(server, provider, **client_kwargs)`` → a :class:`Driver` in this test's flavor,
    closed (pool and event loop) at teardown."""
    made: list[Driver] = []

    def factory(*args: Any, client: Any = None, **kwargs: Any) -> Driver:
        if flavor == "async-aiohttp" and client is None:
            kwargs.setdefault("async_backend", "aiohttp")
        driver = Driver(flavor, client if client is not None else make_client(*args, **kwargs))
        made.append(driver)
        return driver

    yield factory
    for driver in made:
        driver.close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry loop's sleeps, recorded instead of slept."""
    recorded: list[float] = []

    async def async_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(specwire.attempts, "_sleep", recorded.append)
    monkeypatch.setattr(specwire.attempts, "_async_sleep", async_sleep)
    return recorded


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        """Every record as the formatter prints it (message, args, exception text) plus its raw
        ``msg``, ``args`` and every extra attribute, so a secret hiding anywhere shows up."""
        out = []
        for record in self.records:
            out.append(self.format(record))
            out.append(repr(record.msg))
            out.append(repr(record.args))
            out.append(repr({k: v for k, v in vars(record).items() if k not in ("msg", "args", "exc_info")}))
        return out


@pytest.fixture
def logs() -> Iterator[_Capture]:
    """Every log record of every logger at DEBUG (root, httpx, httpcore, asyncio, specwire)."""
    handler = _Capture()
    root = logging.getLogger()
    names = ("", "httpx", "httpcore", "asyncio", "specwire", "hpack", "urllib3")
    saved = {name: logging.getLogger(name).level for name in names}
    root.addHandler(handler)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
