"""Intended mistakes: stream events used without narrowing on ``event.type``, or narrowed to the
wrong kind; a sync loop over an async stream; awaiting a sync call.

Each line marked ``# mistake`` must be reported by mypy and pyright (test_typecheck.py).
"""

from __future__ import annotations

import specwire


def loop() -> None:
    for event in specwire.stream("openai:gpt-5.5", "hi"):
        print(event.delta)  # mistake: only text, reasoning and tool-call deltas have one
        if event.type == "text_delta":
            print(event.response)  # mistake: a text delta carries no response
        if event.type == "finish":
            print(event.response.text, event.delta)  # mistake: a finish has no delta


async def aloop() -> None:
    for _event in specwire.astream("openai:gpt-5.5", "hi"):  # mistake: an async stream needs async for
        ...
    _response = await specwire.complete("openai:gpt-5.5", "hi")  # mistake: complete is sync (acomplete)
