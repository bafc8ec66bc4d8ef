"""Intended mistakes: call options that do not exist or have the wrong type.

Each line marked ``# mistake`` must be reported by mypy and pyright (test_typecheck.py); no other
line may be.
"""

from __future__ import annotations

import specwire
from specwire.router import Router


def calls(client: specwire.Client, router: Router) -> None:
    specwire.complete("openai:gpt-5.5", "hi", max_tokens=5)  # mistake: the option is max_output_tokens
    specwire.complete("openai:gpt-5.5", "hi", temperature="hot")  # mistake: a number
    specwire.stream("openai:gpt-5.5", "hi", max_output_tokens="5")  # mistake: an int
    client.complete("openai:gpt-5.5", "hi", reasoning="hihg")  # mistake: an effort level (high) or a token budget
    client.astream("openai:gpt-5.5", "hi", stream_mod="sse")  # mistake: stream_mode
    client.complete("openai:gpt-5.5", "hi", timeout="30")  # mistake: seconds or a Timeouts
    client.complete("openai:gpt-5.5", 42)  # mistake: messages are a string, messages or dicts
    router.complete("default", "hi", api_key="sk-test")  # mistake: keys belong to deployments
    router.complete("default", "hi", cache="yes")  # mistake: a bool
    specwire.complete("openai:gpt-5.5", "hi", raise_on_content_filter=True, raise_on_error=True)  # mistake: only streams take raise_on_error
    client.complete("openai:gpt-5.5", "hi", strict_capabilities="yes")  # mistake: a bool
    client.complete("openai:gpt-5.5", "hi", callbacks=specwire.Callbacks())  # mistake: a list of callbacks
    specwire.complete("openai:gpt-5.5", "hi", response_format=specwire.Message(role="user", content="hi"))  # mistake: a model class, not an instance
