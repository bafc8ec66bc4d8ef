"""Unit tests for :mod:`specwire.retry` hint parsing: ``retry-after-ms``, ``retry-after`` and
protobuf duration strings.

What this protects: the ``retry_after_parsing`` row of docs/RELIABILITY.md (``retry-after-ms`` first,
then float seconds, then an HTTP-date; junk such as ``inf``, ``nan``, ``-1``, ``""``, huge numbers
and a malformed date is ignored rather than turned into a sleep) and Gemini's
``RetryInfo.retryDelay`` (``"34.4s"``).

Why unit tests and not replay tests: the recorded error fixtures carry at most one well-formed
hint; malformed and adversarial header values (a server can send anything) and the date
arithmetic against a fixed clock can only be checked by calling the parsers directly.
"""

from __future__ import annotations

import email.utils

import httpx
import pytest

from specwire.retry import parse_duration, parse_retry_after

NOW = email.utils.parsedate_to_datetime("Fri, 29 Sep 2023 16:26:37 GMT").timestamp()


# --------------------------------------------------------------------------- precedence
def test_retry_after_ms_wins_over_retry_after() -> None:
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}, now=NOW) == 1.5


def test_junk_retry_after_ms_falls_back_to_retry_after() -> None:
    assert parse_retry_after({"retry-after-ms": "abc", "retry-after": "2.5"}, now=NOW) == 2.5
    assert parse_retry_after({"retry-after-ms": "nan", "retry-after": "3"}, now=NOW) == 3.0
    assert parse_retry_after({"retry-after-ms": "-5", "retry-after": "4"}, now=NOW) == 4.0


def test_header_names_are_case_insensitive() -> None:
    assert parse_retry_after({"Retry-After-Ms": "250"}) == 0.25
    assert parse_retry_after({"RETRY-AFTER": "7"}) == 7.0
    assert parse_retry_after(httpx.Headers({"Retry-After-Ms": "250"})) == 0.25
    assert parse_retry_after(httpx.Headers({"Retry-After": "7"})) == 7.0


@pytest.mark.parametrize("headers", [None, {}, {"x-other": "1"}])
def test_no_hint(headers: dict[str, str] | None) -> None:
    assert parse_retry_after(headers, now=NOW) is None


# --------------------------------------------------------------------------- seconds and dates
@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("20", 20.0), ("2.5", 2.5), (" 3 ", 3.0), ("86400", 86400.0)])
def test_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after({"retry-after": value}, now=NOW) == seconds


def test_ms_value() -> None:
    assert parse_retry_after({"retry-after-ms": "0"}, now=NOW) == 0.0
    assert parse_retry_after({"retry-after-ms": "20000"}, now=NOW) == 20.0


@pytest.mark.parametrize(
    ("date", "seconds"),
    [
        ("Fri, 29 Sep 2023 16:26:57 GMT", 20.0),
        ("Fri, 29 Sep 2023 16:27:37 GMT", 60.0),
        ("Fri, 29 Sep 2023 16:26:37 GMT", 0.0),
        ("Fri, 29 Sep 2023 16:26:27 GMT", 0.0),  # in the past: retry now, never negative
        ("Friday, 29-Sep-23 16:26:57 GMT", 20.0),  # RFC 850, obsolete but allowed by RFC 9110
    ],
)
def test_http_date_relative_to_now(date: str, seconds: float) -> None:
    assert parse_retry_after({"retry-after": date}, now=NOW) == pytest.approx(seconds)


def test_http_date_uses_the_real_clock_by_default() -> None:
    # a date far in the past is "retry now" whatever the clock says
    assert parse_retry_after({"retry-after": "Sun, 06 Nov 1994 08:49:37 GMT"}) == 0.0


# --------------------------------------------------------------------------- junk
@pytest.mark.parametrize(
    "value",
    [
        "inf",
        "-inf",
        "infinity",
        "nan",
        "NaN",
        "-1",
        "-0.5",
        "",
        "1e400",
        "abc",
        "0x10",
        "Zun, 29 Sep 2023 16:26:57 GMT",  # not a day name: not an HTTP-date
        "Zun, 29 Sep 2023 16:26:27 GMT",
        "Fri, 31 Feb 2023 16:26:57 GMT",
        "Fri, 29 Sep 99999 16:26:57 GMT",
    ],
)
def test_junk_retry_after_is_ignored(value: str) -> None:
    assert parse_retry_after({"retry-after": value}, now=NOW) is None


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "", "1e400", "abc"])
def test_junk_retry_after_ms_is_ignored(value: str) -> None:
    assert parse_retry_after({"retry-after-ms": value}, now=NOW) is None


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"retry-after": "86401"}, 86401.0),  # a day and a second
    ({"retry-after-ms": "86401000"}, 86401.0),
    ({"retry-after": "99999999999999999999999999999999999"}, 1e35),
    ({"retry-after": "Sun, 29 Sep 2024 16:26:37 GMT"}, 366 * 86400.0),  # a year ahead (2024 is a leap year)
])
def test_long_hints_are_returned_not_dropped(headers: dict[str, str], seconds: float) -> None:
    """A long hint is a hint (RetryPolicy compares it with max_retry_after and raises), not junk
    that would make the caller retry at once."""
    assert parse_retry_after(headers, now=NOW) == pytest.approx(seconds)


# --------------------------------------------------------------------------- parse_duration
@pytest.mark.parametrize(
    ("value", "seconds"),
    [("34.4s", 34.4), ("250ms", 0.25), ("2m", 120.0), ("1h", 3600.0), ("0s", 0.0), (" 5s ", 5.0), ("12", 12.0), (12, 12.0), (1.5, 1.5), (0, 0.0)],
)
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "value",
    [None, True, False, "abc", "-3s", "nan", "inf", "3.s", "34.4S", "1e3s", "s", "", float("nan"), float("inf"), -1, [], {"seconds": 3}],
)
def test_parse_duration_junk(value: object) -> None:
    assert parse_duration(value) is None


def test_parse_duration_long_is_a_hint() -> None:
    """As for headers: a long body hint is returned (the policy raises over its cap)."""
    assert parse_duration("100000h") == 360000000.0
