"""Intended mistakes: a :class:`specwire.Callbacks` subclass overriding a method with the wrong
event type, and reading a field an event does not have.

Each line marked ``# mistake`` must be reported by mypy and pyright (test_typecheck.py); no other
line may be.
"""

from __future__ import annotations

from specwire import Callbacks, FinishEvent, RequestEvent


class Wrong(Callbacks):
    def on_request(self, event: FinishEvent) -> None:  # mistake: on_request receives a RequestEvent
        print(event.duration)

    def on_finish(self, event: FinishEvent) -> None:
        print(event.response.txt)  # mistake: text
        tokens: int = event.usage.output_tokens  # mistake: usage may be None
        print(tokens)


def fine(event: RequestEvent) -> str:
    return event.url
