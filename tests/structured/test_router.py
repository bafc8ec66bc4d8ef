"""``response_format=<model class>`` through the router: every deployment's call validates the
reply into the class (the class survives the router's per-deployment request), so ``parsed`` is
set, and a reply that does not validate raises :class:`StructuredOutputError`.  Served by the
router suite's loopback fake of OpenAI Chat Completions (tests/router/fakes.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from specwire import Client, StructuredOutputError
from specwire.registry import SpecRegistry
from specwire.router import FakeClock, Router
from tests.router.fakes import FakeOpenAI, Reply

KEY_ENV = "ROUTER_STRUCTURED_KEY"


class Weather(BaseModel):
    city: str
    celsius: float


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def _router(fake: FakeOpenAI, **options: object) -> Router:
    config = {
        "router": {"strategy": "round-robin"},
        "deployments": [{"id": "a", "provider": "openai", "model": "gpt-5.4", "api_key_env": KEY_ENV, "base_url": fake.base_url("a"), **options}],
        "groups": {"g": {"deployments": ["a"]}},
    }
    registry = SpecRegistry(user_config=False, env={})
    return Router(config, client=Client(registry=registry, env={}, load_entry_points=False), clock=FakeClock(), env={KEY_ENV: "sk-router-structured"}, registry=registry)


@pytest.mark.parametrize("deployment_options", [{}, {"options": {"temperature": 0.2}}])
def test_router_call_parses(fake: FakeOpenAI, deployment_options: dict) -> None:
    router = _router(fake, **deployment_options)
    try:
        fake.script("a", Reply(text=json.dumps({"city": "Paris", "celsius": 21.5})))
        response = router.complete("g", "Weather in Paris?", response_format=Weather)
        assert response.parsed == Weather(city="Paris", celsius=21.5)
        fake.script("a", Reply(text=json.dumps({"city": "Paris"})))
        with pytest.raises(StructuredOutputError):
            router.complete("g", "Weather in Paris?", response_format=Weather)
    finally:
        router.close()
        router.client.close()
