"""Log records (docs/observability.md, "Logging"): one record per attempt on ``specwire.client``
with the stable ``extra`` fields, a record per retry (delay and reason) and one at the end of the
call (attempts, time to first event, tokens); no secret in any record; the library adds only a
NullHandler; nothing is built when nobody listens.

What this protects: before, a 500 retried twice left no trace at all."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest

import specwire
from specwire.observe import LOG_FIELDS
from tests.hostile.server import HostileServer, openai_error, openai_ok

from .conftest import MODEL, SECRET, Capture, assert_no_secret


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_a_500_retried_twice_leaves_a_record_per_attempt_and_retry(drive: Any, hostile: HostileServer, sleeps: list[float], records: Capture, stream: bool) -> None:
    d = drive(hostile)
    hostile.script(openai_error(500), openai_error(500), openai_ok(stream))
    out = d.call(stream, MODEL)
    assert out.error is None, out.describe()

    responses = records.of("response", "specwire.client")
    assert [r.specwire_status for r in responses] == [500, 500, 200]  # type: ignore[attr-defined]
    assert [r.specwire_attempt for r in responses] == [1, 2, 3]  # type: ignore[attr-defined]
    assert all(r.levelno == logging.INFO for r in responses)
    assert {r.specwire_url for r in responses} == {hostile.url("/v1/chat/completions")}  # type: ignore[attr-defined]

    retries = records.of("retry")
    assert [r.specwire_attempt for r in retries] == [1, 2]  # type: ignore[attr-defined]
    assert [r.specwire_delay for r in retries] == sleeps  # type: ignore[attr-defined]
    assert all(r.specwire_status == 500 and "ServerError" in r.specwire_reason for r in retries)  # type: ignore[attr-defined]
    assert all(r.levelno == logging.INFO for r in retries), "retries are INFO, as openai-python logs them"

    requests = records.of("request")
    assert len(requests) == 3 and all(r.levelno == logging.DEBUG for r in requests)

    (finish,) = records.of("finish")
    assert finish.specwire_attempt == 3  # type: ignore[attr-defined]
    assert finish.specwire_provider == "openai" and finish.specwire_model == "gpt-5.5"  # type: ignore[attr-defined]
    assert finish.specwire_duration >= 0  # type: ignore[attr-defined]
    usage = (out.response or out.partial).usage
    assert usage is not None and finish.specwire_input_tokens == usage.input_tokens  # type: ignore[attr-defined]
    if stream:
        assert finish.specwire_time_to_first_event is not None  # type: ignore[attr-defined]
    # one call id across the call's records
    assert len({r.specwire_call_id for r in records.records if hasattr(r, "specwire_call_id")}) == 1  # type: ignore[attr-defined]
    # every extra field is a documented one
    for r in records.records:
        assert {k for k in vars(r) if k.startswith("specwire_")} <= set(LOG_FIELDS), r.__dict__
    assert_no_secret(*records.records)


def test_a_failed_call_is_logged_with_its_error_type(drive: Any, hostile: HostileServer, sleeps: list[float], records: Capture) -> None:
    d = drive(hostile)
    hostile.script(openai_error(400, type_="invalid_request_error"))
    out = d.complete(MODEL)
    assert isinstance(out.error, specwire.BadRequestError)
    (error,) = records.of("error")
    assert error.specwire_error_type == "BadRequestError" and error.specwire_status == 400  # type: ignore[attr-defined]
    assert records.of("retry") == [] and records.of("finish") == []
    assert_no_secret(*records.records)


def test_nothing_is_built_when_nobody_listens() -> None:
    """No callback and ``specwire.client`` not enabled for INFO (the default): the call has no
    observer at all (the hot path pays one ``isEnabledFor``)."""
    client = specwire.Client(api_keys={"openai": SECRET}, load_entry_points=False)
    logger = logging.getLogger("specwire.client")
    assert not logger.isEnabledFor(logging.INFO), "the test process must not enable specwire logging"
    stream = client.stream(MODEL, "hi")
    assert stream._run is not None and stream._run.obs is None
    stream.close()
    logger.setLevel(logging.INFO)
    try:
        stream = client.stream(MODEL, "hi")
        assert stream._run is not None and stream._run.obs is not None
        stream.close()
    finally:
        logger.setLevel(logging.NOTSET)
    client.close()


def test_the_library_only_adds_a_null_handler() -> None:
    code = (
        "import logging, specwire\n"
        "specwire.Client(load_entry_points=False)\n"
        "import specwire.observe\n"
        "hs = logging.getLogger('specwire').handlers\n"
        "assert [type(h).__name__ for h in hs] == ['NullHandler'], hs\n"
        "assert logging.getLogger().handlers == [], logging.getLogger().handlers\n"
        "for name in ('specwire.client', 'specwire.router', 'specwire.callbacks'):\n"
        "    assert logging.getLogger(name).handlers == [], name\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
