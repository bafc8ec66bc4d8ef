"""Fixtures of the observability suite (docs/observability.md): the flavor every I/O test runs in
(sync, async over httpx, async over aiohttp, as in tests/reliability), a driver factory, the retry
sleeps recorded instead of slept, a capture of specwire's log records, and recording callbacks.

Every client here holds :data:`SECRET`, a distinctive fake key; :func:`assert_no_secret` checks that
it appears in no log record, ``extra`` field, callback event or span."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import specwire
from tests.hostile.server import hostile  # noqa: F401  (fixture)
from tests.reliability.conftest import sleeps  # noqa: F401  (fixture: the retry sleeps, recorded)
from tests.reliability.helpers import FLAVORS, Driver, make_client

SECRET = f"sk-OBSERVE-{uuid.uuid4().hex}"
MODEL = "openai:gpt-5.5"


@pytest.fixture(params=FLAVORS)
def flavor(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def drive(flavor: str) -> Iterator[Callable[..., Driver]]:
    """``drive(server, **client_kwargs)`` → a :class:`Driver` in this test's flavor holding SECRET."""
    made: list[Driver] = []

    def factory(server: Any, **kwargs: Any) -> Driver:
        if flavor == "async-aiohttp":
            kwargs.setdefault("async_backend", "aiohttp")
        kwargs.setdefault("api_keys", {"openai": SECRET})
        driver = Driver(flavor, make_client(server, "openai", **kwargs))
        made.append(driver)
        return driver

    yield factory
    for driver in made:
        driver.close()


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def of(self, event: str, name: str | None = None) -> list[logging.LogRecord]:
        return [r for r in self.records if getattr(r, "specwire_event", None) == event and (name is None or r.name == name)]


@pytest.fixture
def records() -> Iterator[Capture]:
    """specwire's log records at DEBUG (the handler is the test's, as an application's would be)."""
    logger = logging.getLogger("specwire")
    handler = Capture()
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


class Recorder(specwire.Callbacks):
    """Records every callback as ``(name, event)``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def names(self) -> list[str]:
        return [n for n, _ in self.calls]

    def of(self, name: str) -> list[Any]:
        return [e for n, e in self.calls if n == name]

    def on_request(self, event: Any) -> None:
        self.calls.append(("request", event))

    def on_response_headers(self, event: Any) -> None:
        self.calls.append(("headers", event))

    def on_retry(self, event: Any) -> None:
        self.calls.append(("retry", event))

    def on_finish(self, event: Any) -> None:
        self.calls.append(("finish", event))

    def on_error(self, event: Any) -> None:
        self.calls.append(("error", event))


class AsyncRecorder(Recorder):
    """The same, with ``async def`` methods (each awaits once, so a skipped await would show)."""

    async def on_request(self, event: Any) -> None:  # type: ignore[override]
        import asyncio

        await asyncio.sleep(0)
        self.calls.append(("request", event))

    async def on_response_headers(self, event: Any) -> None:  # type: ignore[override]
        self.calls.append(("headers", event))

    async def on_retry(self, event: Any) -> None:  # type: ignore[override]
        self.calls.append(("retry", event))

    async def on_finish(self, event: Any) -> None:  # type: ignore[override]
        self.calls.append(("finish", event))

    async def on_error(self, event: Any) -> None:  # type: ignore[override]
        self.calls.append(("error", event))


def assert_no_secret(*things: Any) -> None:
    """SECRET (or its random tail) appears in none of ``things``: log records (message, args and
    every attribute, ``extra`` fields included), callback events (their repr, which lists every
    field), anything else by repr."""
    tail = SECRET[-12:]
    for thing in things:
        if isinstance(thing, logging.LogRecord):
            texts = [thing.getMessage(), *(repr(v) for v in vars(thing).values())]
        else:
            texts = [repr(thing), str(thing)]
        for text in texts:
            assert SECRET not in text and tail not in text, f"the key leaked into {type(thing).__name__}: {text[:300]}"
