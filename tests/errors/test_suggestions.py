"""Option typos get a suggestion, like provider typos do: spelling mistakes by distance, and the
names other APIs use for an option (``max_tokens``, ``stop``) by the alias table
(:data:`specwire.suggest.OPTION_ALIASES`), whichever call style is used."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import specwire
from specwire import ModelNotFoundError, RequestBuildError
from specwire.suggest import OPTION_ALIASES, closest, did_you_mean
from specwire.types import Request

MODEL = "openai:gpt-4o"


def _client() -> specwire.Client:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent for a call with a bad option")

    return specwire.Client(api_keys={"openai": "sk-test"}, transport=httpx.MockTransport(refuse), async_transport=httpx.MockTransport(refuse), load_entry_points=False)


CASES = [
    ("max_tokens", "max_output_tokens"),  # an alias: no spelling distance finds it
    ("max_completion_tokens", "max_output_tokens"),
    ("stop", "stop_sequences"),
    ("reasoning_effort", "reasoning"),
    ("functions", "tools"),
    ("extra_body", "provider_options"),
    ("headers", "extra_headers"),
    ("temperture", "temperature"),  # a typo
    ("top_P", "top_p"),
    ("max_retry", "max_retries"),
    ("timout", "timeout"),
]


def _call(kind: str, client: specwire.Client, **options: Any) -> None:
    if kind == "complete":
        client.complete(MODEL, "hi", **options)
    elif kind == "stream":
        client.stream(MODEL, "hi", **options)
    elif kind == "build":
        client.build(MODEL, "hi", **options)
    elif kind == "acomplete":
        asyncio.run(client.acomplete(MODEL, "hi", **options))
    else:
        client.astream(MODEL, "hi", **options)


@pytest.mark.parametrize(("given", "meant"), CASES)
@pytest.mark.parametrize("kind", ["complete", "stream", "acomplete", "astream", "build"])
def test_an_unknown_option_suggests_the_option_meant(kind: str, given: str, meant: str) -> None:
    with pytest.raises(RequestBuildError) as info:
        _call(kind, _client(), **{given: 1})
    assert f"unknown option {given!r} (did you mean {meant!r}?)" in str(info.value)


def test_the_module_level_functions_suggest_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    for fn in (specwire.complete, specwire.stream, specwire.astream):
        with pytest.raises(RequestBuildError, match=r"did you mean 'max_output_tokens'\?"):
            fn(MODEL, "hi", max_tokens=5)
    with pytest.raises(RequestBuildError, match=r"did you mean 'max_output_tokens'\?"):
        asyncio.run(specwire.acomplete(MODEL, "hi", max_tokens=5))


def test_every_unknown_option_is_listed_and_a_hopeless_one_gets_no_guess() -> None:
    with pytest.raises(RequestBuildError) as info:
        _client().complete(MODEL, "hi", max_tokens=5, zzqx=1)
    text = str(info.value)
    assert "'max_tokens' (did you mean 'max_output_tokens'?)" in text
    assert "unknown option 'zzqx'" in text and "'zzqx' (did you mean" not in text


def test_every_alias_names_an_option_a_call_takes() -> None:
    """The table cannot drift from the options: each target is a Request field or a call option."""
    from specwire.client import _OTHER_OPTIONS

    takes = set(Request.model_fields) | set(_OTHER_OPTIONS)
    assert set(OPTION_ALIASES.values()) <= takes
    assert not set(OPTION_ALIASES) & takes, "an alias must not shadow a real option"


def test_closest_prefers_an_alias_and_folds_case() -> None:
    assert closest("max_tokens", ["max_output_tokens", "max_retries"], aliases=OPTION_ALIASES) == "max_output_tokens"
    assert closest("MAX_TOKENS", ["max_output_tokens"], aliases=OPTION_ALIASES) == "max_output_tokens"
    # distance alone would send `stop` to the wrong option
    assert closest("stop", ["stop_sequences", "top_p"]) == "top_p"
    assert closest("stop", ["stop_sequences", "top_p"], aliases=OPTION_ALIASES) == "stop_sequences"
    assert closest("TOP_P", ["top_p", "top_k"]) == "top_p"
    assert did_you_mean("nothing-like-it", ["top_p"]) == ""


def test_a_provider_typo_still_gets_its_suggestion() -> None:
    with pytest.raises(ModelNotFoundError) as info:
        _client().build("opneai:gpt-4o", "hi")
    assert info.value.suggestion == "openai"
