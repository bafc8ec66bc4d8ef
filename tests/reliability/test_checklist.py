"""The checklist of docs/RELIABILITY.md section 4 is complete here: one test function per row,
named ``test_<row>``, run in every flavor (it takes the ``flavor`` or ``drive`` fixture, which is
parametrized over sync, async and the aiohttp backend).

What this protects: every checklist row exists as a named test, and the document lists exactly
these rows, so a row added to the document without a test (or the reverse) fails here.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

ROWS = (
    "retry_status_matrix retry_409_opt_in x_should_retry_header retry_after_parsing retry_after_over_cap "
    "backoff_jitter_bounds total_deadline_bounds_retries connect_error_retry connect_timeout_maps "
    "pool_exhausted_not_retried idempotency_key_stable no_retry_after_first_event retry_before_first_event "
    "inband_error_event_maps_class openai_stream_error_object bedrock_stream_exception missing_terminal_event "
    "done_without_finish_reason context_window_classified echoed_429_not_ratelimit content_filter_finish "
    "sse_line_endings_property sse_unicode_separators sse_multibyte_split sse_invalid_utf8 sse_comments_pings "
    "sse_bom sse_event_missing_data sse_malformed_json sse_line_too_long gemini_array_split gemini_array_truncated "
    "nonstream_body_cap json_depth_bomb slowloris_trickle keepalive_only_stall first_event_timeout "
    "cancel_midstream_async break_midstream_sync unstarted_generator_closed drain_after_done_bounded "
    "drain_after_done_reuses no_leak_on_every_error ssti_payloads_blocked template_no_include_env "
    "template_json_injection template_output_cap yaml_unsafe_tags yaml_billion_laughs jmespath_recursion "
    "mapping_typo_detected credential_host_binding request_base_url_override_checked builtin_shadowing "
    "redirect_not_followed canary_secret_scan gemini_key_in_url_redacted sigv4_fixture escape_hatch_not_importable "
    "providers_d_traversal validate_spec_cli"
).split()

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "RELIABILITY.md"


def _tests() -> dict[str, object]:
    found: dict[str, object] = {}
    for path in sorted(HERE.glob("test_*.py")):
        module = importlib.import_module(f"tests.reliability.{path.stem}")
        for name, fn in vars(module).items():
            if name.startswith("test_") and inspect.isfunction(fn) and fn.__module__ == module.__name__:
                assert name not in found, f"{name} is defined twice"
                found[name] = fn
    return found


def test_every_row_has_a_test_in_both_flavors() -> None:
    assert len(ROWS) == 61 and len(set(ROWS)) == 61
    tests = _tests()
    missing = [row for row in ROWS if f"test_{row}" not in tests]
    assert not missing, f"checklist rows without a test: {missing}"
    single = [row for row in ROWS if not {"flavor", "drive"} & set(inspect.signature(tests[f"test_{row}"]).parameters)]
    assert not single, f"rows not parametrized over sync and async: {single}"


def test_rows_match_the_document() -> None:
    rows = re.findall(r"^\| `([a-z0-9_]+)` \|", DOC.read_text(encoding="utf-8"), re.M)
    assert rows == ROWS, f"docs/RELIABILITY.md section 4 differs: {sorted(set(rows) ^ set(ROWS))}"
