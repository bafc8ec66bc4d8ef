"""Intended mistakes: attributes a response does not have, and values that may be ``None``.

Each line marked ``# mistake`` must be reported by mypy and pyright (test_typecheck.py).
"""

from __future__ import annotations

from pydantic import BaseModel

import specwire


def read(response: specwire.Response) -> None:
    print(response.txt)  # mistake: text
    print(response.finish_reason.unified)  # mistake: finish_reason may be None
    print(response.usage.input_tokens)  # mistake: usage may be None
    total: int = response.cost.total  # mistake: cost may be None (and total is a float)
    print(total)
    text: int = response.text  # mistake: a str
    print(text)


class Weather(BaseModel):
    city: str


def read_parsed(client: specwire.Client) -> None:
    response = client.complete("openai:gpt-5.5", "Weather in Paris", response_format=Weather)
    print(response.parsed.city)  # mistake: parsed may be None
    if response.parsed is not None:
        celsius: float = response.parsed.city  # mistake: city is a str
        print(celsius, response.parsed.celsius)  # mistake: Weather has no celsius
