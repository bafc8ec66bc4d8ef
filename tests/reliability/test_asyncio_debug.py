"""The asyncio-debug leg of docs/RELIABILITY.md ("… and with ``PYTHONASYNCIODEBUG=1`` in one CI leg"):
the async half of this suite again, in a child process with asyncio's debug mode on.

What this protects: debug mode turns on checks the normal run does not make: coroutines never
awaited, calls from the wrong thread, resources (transports, sockets) left open when the loop
closes, callbacks slow enough to block the loop.  Under ``-W error`` any of them fails a test.

The child runs every async-flavor test of tests/reliability except the canary scans (their fault
paths are the ones ``no_leak_on_every_error`` runs, minus the scanning).  The leg passes when every
failure in the child is one of the rows that fail for the engine gaps listed in the report
(``ENGINE_GAP_ROWS``): those fail in the normal run too and are reported there; any other failure is
a debug-mode-only problem and fails this test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Rows that fail today because of engine gaps reported with their own failing tests; a debug-mode
#: failure of one of these rows is not a new finding.  Remove a name once its gap is fixed.
ENGINE_GAP_ROWS = frozenset(
    {
        "test_content_filter_finish",
        "test_drain_after_done_bounded",
        "test_request_base_url_override_checked",
        "test_ssti_payloads_blocked",
        "test_template_json_injection",
        "test_template_output_cap",
        "test_mapping_typo_detected",
        "test_validate_spec_cli",
    }
)


#: The async flavors of the suite, one debug leg each, both with the slow tests (a leg takes about a
#: minute on two cores; CI runs them with `pytest -m slow`).
LEGS = {
    "async": "async and not aiohttp",
    "async-aiohttp": "async-aiohttp",
}


@pytest.mark.slow
@pytest.mark.parametrize("leg", ["async", "async-aiohttp"])
def test_async_suite_under_asyncio_debug(tmp_path: Path, leg: str) -> None:
    """``PYTHONASYNCIODEBUG=1 pytest tests/reliability -k "<flavor> and not canary_secret_scan"``:
    at least 150 async tests run, and nothing fails but the engine-gap rows."""
    if os.environ.get("SPECWIRE_ASYNCIO_DEBUG_LEG"):
        pytest.skip("already inside the asyncio-debug leg")
    env = dict(os.environ, PYTHONASYNCIODEBUG="1", SPECWIRE_ASYNCIO_DEBUG_LEG="1", PYTHONDONTWRITEBYTECODE="1")
    report = tmp_path / "report.txt"
    cmd = [
        sys.executable, "-m", "pytest", "tests/reliability", "-p", "no:cacheprovider", "-q", "-rfE",
        "-k", f"({LEGS[leg]}) and not canary_secret_scan and not asyncio_debug", "-o", "faulthandler_timeout=300",
        f"--junitxml={tmp_path / 'junit.xml'}",
    ]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report.write_text(result.stdout + result.stderr)
    junit = (tmp_path / "junit.xml").read_text()
    ran = int(re.search(r'tests="(\d+)"', junit).group(1))
    assert ran >= 150, f"only {ran} async tests ran under asyncio debug\n{result.stdout[-3000:]}"
    failed = set(re.findall(r"^(?:FAILED|ERROR) tests/reliability/\S+?::(test_\w+)", result.stdout, re.M))
    unexpected = failed - ENGINE_GAP_ROWS
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    assert not unexpected, f"failures only explained by asyncio debug mode: {sorted(unexpected)}\n{result.stdout[-6000:]}"
