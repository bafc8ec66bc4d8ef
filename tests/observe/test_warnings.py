"""Python warnings (docs/observability.md, "Warnings"): an unknown or deprecated model and a
dropped or clamped parameter are issued under :class:`specwire.SpecwireWarning` (subclasses
:class:`specwire.ModelWarning`, :class:`specwire.ParameterWarning`), once per call, pointing at the
caller's line; the category can be filtered or turned into an error (``-W error::…``), and
``response.warnings`` keeps them as before.  No request is needed: the warnings are issued when the
call is prepared, so these tests use ``stream()`` (which sends nothing until iterated) or respx."""

from __future__ import annotations

import subprocess
import sys
import warnings
from typing import Any

import httpx
import pytest
import respx

import specwire

from .conftest import SECRET

UNKNOWN = "openai:no-such-model-observe"


def _client() -> specwire.Client:
    return specwire.Client(api_keys={"openai": SECRET}, load_entry_points=False)


def _ok() -> httpx.Response:
    return httpx.Response(200, json={"id": "c1", "model": "x", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                                                                            "finish_reason": "stop"}], "usage": {"prompt_tokens": 2, "completion_tokens": 1}})


def test_an_unknown_model_warns_once_at_the_callers_line() -> None:
    client = _client()
    with pytest.warns(specwire.ModelWarning) as caught:
        stream = client.stream(UNKNOWN, "hi"); line = sys._getframe().f_lineno  # noqa: E702
    stream.close()
    ours = [w for w in caught if issubclass(w.category, specwire.SpecwireWarning)]
    assert len(ours) == 1
    assert ours[0].filename == __file__ and ours[0].lineno == line
    assert "no-such-model-observe" in str(ours[0].message)
    assert issubclass(specwire.ModelWarning, specwire.SpecwireWarning) and issubclass(specwire.SpecwireWarning, UserWarning)
    client.close()


async def _acall(client: specwire.Client) -> tuple[Any, int]:
    response = await client.acomplete("openai:gpt-5.5", "hi", temperature=5.0); line = sys._getframe().f_lineno  # noqa: E702
    return response, line


def test_a_clamped_parameter_warns_in_async_calls_too_and_stays_on_the_response() -> None:
    import asyncio

    client = _client()
    with respx.mock(base_url="https://api.openai.com") as mock:
        mock.post("/v1/chat/completions").mock(return_value=_ok())
        with pytest.warns(specwire.ParameterWarning) as caught:
            response, line = asyncio.run(_acall(client))
    (w,) = [w for w in caught if issubclass(w.category, specwire.SpecwireWarning)]
    assert w.filename == __file__ and w.lineno == line
    assert "temperature" in str(w.message)
    assert [x.kind for x in response.warnings] == ["clamped-param"], "response.warnings is unchanged"


def test_the_module_level_functions_point_at_the_caller_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(specwire.client, "_default_client", _client())
    with pytest.warns(specwire.ModelWarning) as caught:
        stream = specwire.stream(UNKNOWN, "hi"); line = sys._getframe().f_lineno  # noqa: E702
    stream.close()
    (w,) = [w for w in caught if issubclass(w.category, specwire.SpecwireWarning)]
    assert w.filename == __file__ and w.lineno == line


def test_the_category_can_be_ignored_or_turned_into_an_error() -> None:
    client = _client()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", specwire.SpecwireWarning)
        client.stream(UNKNOWN, "hi").close()
    assert caught == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", specwire.SpecwireWarning)
        with pytest.raises(specwire.ModelWarning):
            client.stream(UNKNOWN, "hi")
        client.stream("openai:gpt-5.5", "hi").close()  # a known model: nothing to warn about
    client.close()


def test_dash_w_error_turns_it_into_an_exception() -> None:
    """``python -W error`` (or ``-W error::UserWarning``) makes the call raise.  (The ``-W`` option
    resolves a category before the program runs, so a category inside a package it has not
    imported yet is not accepted there: use ``warnings.simplefilter`` or pytest's
    ``filterwarnings = ["error::specwire.SpecwireWarning"]`` for the precise filter.)"""
    code = (
        "import specwire\n"
        "c = specwire.Client(api_keys={'openai': 'sk-observe-dash-w-test'}, load_entry_points=False)\n"
        f"c.stream({UNKNOWN!r}, 'hi').close()\n"
    )
    for option in ("error", "error::UserWarning"):
        run = subprocess.run([sys.executable, "-W", option, "-c", code], capture_output=True, text=True, timeout=60)
        assert run.returncode != 0 and "ModelWarning" in run.stderr, run.stderr[-2000:]
    run = subprocess.run([sys.executable, "-W", "error", "-c", "import warnings, specwire\n"
                          "warnings.filterwarnings('ignore', category=specwire.SpecwireWarning)\n" + code],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
