"""Unit tests for :mod:`specwire.redact` (keeping secrets out of text, URLs, headers and reprs).

What this protects: docs/RELIABILITY.md T7: a :class:`Secret` never shows its value in ``repr``/``str``/
f-strings/pickles; a registered secret is removed from any text (so from every error message,
which all pass through :func:`redact_text`); secret query parameters (``key=``, ``api_key=``,
``X-Amz-Signature=``...) and bearer tokens are masked by pattern; :func:`redact_headers` masks the
credential-carrying headers, case-insensitively, plus the ones a spec names.

Why unit tests and not replay tests: recorded fixtures are scrubbed and carry no credentials, and a
replay never builds an error message around a live key; the masking rules have to be checked on
crafted strings holding canary secrets.
"""

from __future__ import annotations

import pickle
import uuid

import pytest

from specwire.errors import APIStatusError, SpecwireError
from specwire.redact import MASK, SECRET_HEADERS, Secret, redact_headers, redact_text, redact_url


def canary(prefix: str = "sk-CANARY") -> str:
    # unique per test: registered secrets are process-wide
    return f"{prefix}-{uuid.uuid4().hex}"


# --------------------------------------------------------------------------- Secret
def test_secret_repr_str_and_format_hide_the_value() -> None:
    value = canary()
    s = Secret(value)
    for shown in (repr(s), str(s), f"{s}", "{}".format(s), "%s" % s, repr([s]), repr({"k": s})):
        assert value not in shown
        assert "***" in shown
    assert s.reveal() == value


def test_secret_equality_and_hash_do_not_need_the_value_shown() -> None:
    value = canary()
    assert Secret(value) == Secret(value)
    assert Secret(value) != Secret(value + "x")
    assert Secret(value) != value
    assert len({Secret(value), Secret(value)}) == 1


def test_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret(canary()))


# --------------------------------------------------------------------------- registered secrets
def test_a_created_secret_is_removed_from_any_text() -> None:
    value = canary()
    Secret(value)
    text = f"401 for key {value}; url https://x/?k={value}#{value}"
    out = redact_text(text)
    assert value not in out
    assert out.count(MASK) >= 3


def test_longer_secret_is_masked_before_its_prefix() -> None:
    short = canary("tok")
    long = short + "-extended"
    Secret(short)
    Secret(long)
    out = redact_text(f"a {long} b {short} c")
    assert short not in out and "extended" not in out


def test_error_messages_never_contain_a_registered_secret() -> None:
    value = canary()
    Secret(value)
    err = APIStatusError(f"invalid x-api-key {value}", status=401, provider="anthropic")
    for shown in (str(err), repr(err), err.message, " ".join(map(str, err.args))):
        assert value not in shown
    assert value not in str(SpecwireError(f"boom {value}"))


def test_text_without_secrets_is_unchanged() -> None:
    text = "nothing secret here: model=gpt, tokens=12, https://api.example.com/v1?alt=sse"
    assert redact_text(text) == text
    assert redact_text("") == ""


# --------------------------------------------------------------------------- query parameters
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://g.example/v1/models/x:generate?key=AIzaSECRET123", "https://g.example/v1/models/x:generate?key=***"),
        ("https://x/y?alt=sse&key=AIzaSECRET123&z=1", "https://x/y?alt=sse&key=***&z=1"),
        ("https://x/y?api_key=abc123", "https://x/y?api_key=***"),
        ("https://x/y?apikey=abc123", "https://x/y?apikey=***"),
        ("https://x/y?access_token=ya29.abc", "https://x/y?access_token=***"),
        ("https://x/y?token=t1&sig=s1&signature=s2", "https://x/y?token=***&sig=***&signature=***"),
        (
            "https://b.example/?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIAEXAMPLE%2F2023&X-Amz-Signature=deadbeef&X-Amz-Security-Token=FQo",
            "https://b.example/?X-Amz-Algorithm=AWS4&X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***",
        ),
        ("https://x/y?KEY=abc", "https://x/y?KEY=***"),
    ],
)
def test_secret_query_parameters_are_masked(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert redact_text(f"GET {url} failed") == f"GET {expected} failed"


@pytest.mark.parametrize("url", ["https://x/y?monkey=banana", "https://x/y?keyboard=1", "https://x/y?tokens=5", "https://x/y?alt=sse"])
def test_lookalike_parameters_are_kept(url: str) -> None:
    assert redact_url(url) == url


def test_masking_a_query_value_keeps_at_most_nothing_of_it() -> None:
    out = redact_url("https://x/y?key=AIzaSyA-very-secret-value&alt=sse")
    assert "AIza" not in out and "secret" not in out


# --------------------------------------------------------------------------- bearer tokens
@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer sk-abcdefghijklmnop",
        "authorization: bearer sk-abcdefghijklmnop",
        "header was 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-+/='",
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
    ],
)
def test_bearer_and_basic_tokens_are_masked(text: str) -> None:
    out = redact_text(text)
    assert MASK in out
    for secret_part in ("abcdefghijklmnop", "eyJhbGci", "dXNlcjpw"):
        assert secret_part not in out


def test_the_word_bearer_alone_is_kept() -> None:
    assert redact_text("the bearer of bad news") == "the bearer of bad news"


# --------------------------------------------------------------------------- headers
def test_redact_headers_masks_every_credential_header_case_insensitively() -> None:
    headers = {name.upper() if i % 2 else name.title(): f"v-{name}-123456" for i, name in enumerate(sorted(SECRET_HEADERS))}
    headers["Content-Type"] = "application/json"
    out = redact_headers(headers)
    assert out["Content-Type"] == "application/json"
    for name, value in out.items():
        if name.lower() in SECRET_HEADERS:
            assert value == MASK, name
    assert set(out) == set(headers)  # names are kept as given


def test_redact_headers_extra_names_from_the_spec() -> None:
    out = redact_headers({"X-Custom-Auth": "zzz-secret", "Accept": "x"}, extra=["x-custom-auth"])
    assert out == {"X-Custom-Auth": MASK, "Accept": "x"}


def test_redact_headers_accepts_pairs_and_masks_secrets_in_other_values() -> None:
    value = canary()
    Secret(value)
    out = redact_headers([("cookie", "a=b"), ("location", f"https://e.example/?sig=abc&x={value}"), ("accept", "text/event-stream")])
    assert out["cookie"] == MASK
    assert "sig=***" in out["location"] and value not in out["location"]
    assert out["accept"] == "text/event-stream"


def test_redact_headers_does_not_mutate_its_input() -> None:
    headers = {"Authorization": "Bearer sk-abcdefghijk"}
    redact_headers(headers)
    assert headers == {"Authorization": "Bearer sk-abcdefghijk"}
