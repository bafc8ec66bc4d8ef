"""Per-key limits of the gateway (specwire.gateway.limits): the config, the limits on a fake clock
and the in-memory backend, and the app answering 429 in OpenAI's shape."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from specwire import errors as e  # noqa: E402
from specwire.gateway import GatewayError, GatewayKey, create_app  # noqa: E402
from specwire.gateway.config import Budget, parse_gateway  # noqa: E402
from specwire.gateway.limits import MICRO_USD, KeyLimits, period_window  # noqa: E402
from specwire.router import FakeClock, Router  # noqa: E402
from specwire.router.failsafe import FailSafeBackend  # noqa: E402
from specwire.router.state import InMemoryBackend  # noqa: E402

from .conftest import ENV, GATEWAY_KEY, router_config  # noqa: E402
from .fake_upstream import USAGE, FakeUpstream  # noqa: E402

pytestmark = pytest.mark.timeout(60)
SHA = "0" * 64
T0 = datetime(2026, 12, 31, 23, 0, 0, tzinfo=timezone.utc).timestamp()  # an hour before a new day, month and year


def key(**limits: Any) -> GatewayKey:
    return GatewayKey.of({"name": "k", "sha256": SHA, **limits})


# ---------------------------------------------------------------------------- config
def test_limits_parsed() -> None:
    k = key(rpm=60, tpm=1000.5, budget={"usd": 10, "period": "month"})
    assert (k.rpm, k.tpm, k.budget) == (60.0, 1000.5, Budget(usd=10.0, period="month"))
    assert k.limited and not key().limited
    assert key(budget={"usd": 0.5}).budget == Budget(usd=0.5, period="day")  # day by default
    assert key(budget={"usd": 1, "period": 90}).budget == Budget(usd=1.0, period=90.0)
    assert "rpm=60.0" in repr(k) and SHA not in repr(k)


@pytest.mark.parametrize(("field", "value"), [
    ("rpm", 0), ("rpm", -1), ("rpm", "60"), ("rpm", True), ("rpm", math.nan), ("rpm", math.inf), ("tpm", 0), ("tpm", [100]),
    ("budget", 5), ("budget", {"usd": 0}), ("budget", {"usd": -2}), ("budget", {"period": "day"}), ("budget", {"usd": 1, "period": "week"}),
    ("budget", {"usd": 1, "period": 0}), ("budget", {"usd": 1, "period": False}),
])
def test_bad_limit_values_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(e.ConfigError) as info:
        parse_gateway({"keys": [{"name": "k", "sha256": SHA, field: value}]})
    assert f"gateway.keys[0].{field}" in str(info.value)


@pytest.mark.parametrize(("entry", "named"), [
    ({"rpn": 5}, "'rpn'"),
    ({"budget": {"usd": 1, "perod": "day"}}, "'perod'"),
])
def test_unknown_limit_fields_refused(entry: dict[str, Any], named: str) -> None:
    with pytest.raises(e.ConfigError) as info:
        parse_gateway({"keys": [{"name": "k", "sha256": SHA, **entry}]})
    assert named in str(info.value) and "unknown field" in str(info.value)


# ---------------------------------------------------------------------------- periods
def test_period_windows() -> None:
    start, end = period_window("hour", T0 + 59)
    assert (start, end) == (T0, T0 + 3600)
    assert period_window("day", T0) == (T0 - 23 * 3600, T0 + 3600)
    month = period_window("month", T0)
    assert month == (datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp(), datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp())
    assert period_window("month", month[1]) [0] == month[1]  # the next period starts where this one ends
    assert period_window(90, 1000.0) == (990.0, 1080.0)


# ---------------------------------------------------------------------------- limits on a fake clock
@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def limits(clock: FakeClock) -> KeyLimits:
    return KeyLimits(InMemoryBackend(), clock)


def refused(limits: KeyLimits, k: GatewayKey) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        limits.admit(k)
    assert info.value.status == 429
    return info.value


@pytest.mark.parametrize("rpm", [1, 3, 60])
def test_rpm_admits_exactly_rpm_requests(limits: KeyLimits, clock: FakeClock, rpm: int) -> None:
    k = key(rpm=rpm)
    for _ in range(rpm):  # limit - 1, then the limit-th
        limits.admit(k)
    error = refused(limits, k)  # limit + 1
    assert (error.kind, error.code) == ("rate_limit", "rate_limit_exceeded")
    assert error.retry_after == pytest.approx(60 / rpm)  # one token refills in 60 / rpm seconds
    assert error.headers()["retry-after"] == str(math.ceil(60 / rpm))
    clock.advance(60 / rpm * 0.9)
    refused(limits, k)
    clock.advance(60 / rpm * 0.1)
    limits.admit(k)
    refused(limits, k)


def test_rpm_is_per_key(limits: KeyLimits) -> None:
    a, b = key(rpm=1), GatewayKey.of({"name": "other key/{x}", "sha256": SHA, "rpm": 1})
    limits.admit(a)
    limits.admit(b)
    refused(limits, a)
    refused(limits, b)


@pytest.mark.parametrize(("used", "admitted"), [(99, True), (100, True), (101, False)])
def test_tpm_admits_until_in_debt(limits: KeyLimits, used: int, admitted: bool) -> None:
    k = key(tpm=100)
    limits.admit(k)
    limits.settle(k, used, 0.0)
    if admitted:
        limits.admit(k)
    else:
        error = refused(limits, k)
        assert error.retry_after == pytest.approx(1 / (100 / 60))  # 1 token of debt at 100 / 60 per second


def test_tpm_debt_is_paid_by_refill(limits: KeyLimits, clock: FakeClock) -> None:
    k = key(tpm=600)  # 10 tokens per second
    limits.admit(k)
    limits.settle(k, 900, 0.0)  # 300 in debt
    assert refused(limits, k).retry_after == pytest.approx(30.0)
    clock.advance(29)
    refused(limits, k)
    clock.advance(1)
    limits.admit(k)
    limits.settle(k, 10_000, 0.0)  # a debt is at most the capacity
    assert refused(limits, k).retry_after == pytest.approx(60.0)


def test_rpm_and_tpm_together_take_nothing_when_refused(limits: KeyLimits) -> None:
    k = key(rpm=2, tpm=100)
    limits.admit(k)
    limits.settle(k, 150, 0.0)  # tpm in debt: refused, and the rpm token is not taken
    refused(limits, k)
    assert limits.backend.bucket_levels(limits.buckets(k)[:1], limits.clock.now())[0] == pytest.approx(1.0)


@pytest.mark.parametrize(("spent_micro", "admitted"), [(MICRO_USD - 1, True), (MICRO_USD, False), (MICRO_USD + 1, False)])
def test_budget_at_the_limit(limits: KeyLimits, clock: FakeClock, spent_micro: int, admitted: bool) -> None:
    k = key(budget={"usd": 1, "period": "day"})
    limits.admit(k)
    limits.settle(k, 0, spent_micro / MICRO_USD)
    assert limits.spent(k) == pytest.approx(spent_micro / MICRO_USD)
    if admitted:
        limits.admit(k)
        return
    error = refused(limits, k)
    assert (error.kind, error.code, error.should_retry) == ("quota", "insufficient_quota", False)
    assert error.retry_after == pytest.approx(3600.0)  # T0 is an hour before midnight UTC
    assert error.headers() == {"retry-after": "3600", "x-should-retry": "false"}


@pytest.mark.parametrize(("period", "length"), [("hour", 3600.0), ("day", 3600.0), ("month", 3600.0), (600, 600.0)])
def test_budget_rolls_over_with_the_period(limits: KeyLimits, clock: FakeClock, period: Any, length: float) -> None:
    k = key(budget={"usd": 0.01, "period": period})
    limits.settle(k, 0, 0.02)
    refused(limits, k)
    clock.advance(length - 1)
    refused(limits, k)
    clock.advance(1)  # the next period (T0 is a whole hour before a new day and month)
    assert limits.spent(k) == 0
    limits.admit(k)


def test_spend_counters_expire_after_their_period(clock: FakeClock) -> None:
    backend = InMemoryBackend()
    limits = KeyLimits(backend, clock)
    k = key(budget={"usd": 1, "period": "hour"})
    limits.settle(k, 0, 0.5)
    old = limits.spend_key(k, T0)
    clock.advance(3 * 3600)
    limits.settle(k, 0, 0.5)  # a new period's counter: the expired one goes
    assert backend.get_counts([old]) == [0]
    assert limits.spent(k) == pytest.approx(0.5)


def test_a_refused_budget_takes_no_rpm_token(limits: KeyLimits) -> None:
    k = key(rpm=1, budget={"usd": 1})
    limits.settle(k, 0, 1.0)
    assert refused(limits, k).kind == "quota"
    limits.settle(k, 0, 0.0)
    assert limits.backend.bucket_levels(limits.buckets(k), limits.clock.now()) == [1.0]


class _Broken(InMemoryBackend):
    blocking = False

    def __getattribute__(self, name: str) -> Any:
        if name in ("bucket_take", "bucket_adjust", "get_counts", "incr_ttl"):
            raise ConnectionError("the shared store is down")
        return super().__getattribute__(name)


def test_a_failing_shared_backend_degrades_to_per_process_limits(clock: FakeClock) -> None:
    limits = KeyLimits(FailSafeBackend(_Broken()), clock)
    k = key(rpm=2, tpm=100, budget={"usd": 1})
    limits.admit(k)
    limits.settle(k, 10, 0.5)
    limits.admit(k)
    assert refused(limits, k).kind == "rate_limit"  # held in this process
    limits.settle(k, 0, 0.5)
    clock.advance(60)
    assert refused(limits, k).kind == "quota"


@pytest.mark.parametrize("blocking", [False, True])
def test_async_admit_and_settle(clock: FakeClock, blocking: bool) -> None:
    backend = InMemoryBackend()
    backend.blocking = blocking  # a network backend: run in a worker thread
    limits = KeyLimits(backend, clock)

    async def main() -> None:
        assert await limits.aadmit(None) is None
        assert await limits.aadmit(key()) is None  # nothing to settle for a key without limits
        k = key(tpm=10)
        assert await limits.aadmit(k) is k
        await limits.asettle(k, 11, 0.0)
        with pytest.raises(GatewayError):
            await limits.aadmit(k)

    asyncio.run(main())


# ---------------------------------------------------------------------------- the app
LIMITED_KEY, BUDGET_KEY = "gw-limited-key", "gw-budget-key"
LIMITED_ENV, BUDGET_ENV = "GATEWAY_TEST_LIMITED_KEY", "GATEWAY_TEST_BUDGET_KEY"
HI = {"model": "chat", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture
def app_clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def tc(upstream: FakeUpstream, app_clock: FakeClock) -> Iterator[TestClient]:
    config = router_config(upstream)
    config["deployments"][0]["model"] = "gpt-4o"  # a catalog model: its calls have a cost
    section = config.pop("gateway")
    env = {**ENV, LIMITED_ENV: LIMITED_KEY, BUDGET_ENV: BUDGET_KEY}
    router = Router(config, clock=app_clock, env=env)
    keys = [*section["keys"], {"name": "limited", "key_env": LIMITED_ENV, "rpm": 3, "tpm": 50},
            {"name": "budget", "key_env": BUDGET_ENV, "budget": {"usd": 0.0002, "period": "hour"}}]
    try:
        with TestClient(create_app(router, keys=keys, env=env)) as client:
            yield client
    finally:
        router.close()


def bearer(k: str) -> dict[str, str]:
    return {"authorization": f"Bearer {k}"}


def test_app_rpm_429_in_openai_shape_with_retry_after(tc: TestClient, app_clock: FakeClock) -> None:
    for _ in range(2):  # 18 tokens each: 36 of 50 used
        assert tc.post("/v1/chat/completions", json=HI, headers=bearer(LIMITED_KEY)).status_code == 200
    assert tc.get("/v1/models", headers=bearer(LIMITED_KEY)).status_code == 200  # listing models is not a model call
    gateway = tc.app.state.gateway  # type: ignore[attr-defined]
    limited = next(k for k in gateway.config.keys if k.name == "limited")
    tpm = gateway.limits.buckets(limited)[1]
    assert gateway.limits.backend.bucket_levels([tpm], app_clock.now())[0] == pytest.approx(50 - 36)
    assert tc.post("/v1/chat/completions", json={**HI, "stream": True}, headers=bearer(LIMITED_KEY)).status_code == 200
    assert gateway.limits.backend.bucket_levels([tpm], app_clock.now())[0] == pytest.approx(50 - 54)  # debited when the stream ended
    r = tc.post("/v1/chat/completions", json=HI, headers=bearer(LIMITED_KEY))
    assert r.status_code == 429
    assert r.json() == {"error": {"message": r.json()["error"]["message"], "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
    assert r.headers["retry-after"] == "20"  # rpm 3: a request every 20 s
    assert r.headers["x-request-id"]
    assert tc.post("/v1/chat/completions", json=HI, headers={"authorization": f"Bearer {GATEWAY_KEY}"}).status_code == 200  # other keys unaffected
    app_clock.advance(20)  # one request's worth of rpm (and 16.7 tokens of tpm: out of debt)
    assert tc.post("/v1/chat/completions", json=HI, headers=bearer(LIMITED_KEY)).status_code == 200
    assert tc.post("/v1/chat/completions", json=HI, headers=bearer(LIMITED_KEY)).status_code == 429


def test_app_budget_429_insufficient_quota(tc: TestClient, app_clock: FakeClock) -> None:
    gateway = tc.app.state.gateway  # type: ignore[attr-defined]
    key = next(k for k in gateway.config.keys if k.name == "budget")
    ok = 0
    for _ in range(10):
        r = tc.post("/v1/chat/completions", json={**HI, "stream": ok % 2 == 1}, headers=bearer(BUDGET_KEY))
        if r.status_code != 200:
            break
        ok += 1
    per_call = gateway.limits.spent(key) / ok
    assert per_call > 0 and USAGE["total_tokens"] == 18
    assert ok == math.ceil(0.0002 / per_call - 1e-9)  # admitted while the spend is under the budget
    assert r.status_code == 429
    assert r.headers["x-should-retry"] == "false" and r.headers["retry-after"] == "3600"
    body = r.json()["error"]
    assert (body["type"], body["code"]) == ("insufficient_quota", "insufficient_quota")
    app_clock.advance(3600)  # the next hour
    assert tc.post("/v1/chat/completions", json=HI, headers=bearer(BUDGET_KEY)).status_code == 200


def test_router_schema_declares_the_limits() -> None:
    """validate-spec's schema of the gateway: section knows the limits parse_gateway reads."""
    import jsonschema

    from specwire.router.config import router_schema

    schema = router_schema()
    entry = {"name": "k", "sha256": SHA, "rpm": 60, "tpm": 1000, "budget": {"usd": 10.0, "period": "month"}}
    validator = jsonschema.Draft202012Validator({**schema["$defs"]["gateway"], "$defs": schema["$defs"]})
    assert not list(validator.iter_errors({"keys": [entry]}))
    assert not list(validator.iter_errors({"keys": [{**entry, "budget": {"usd": 1, "period": 3600}}]}))
    for bad in ({"rpm": 0}, {"budget": {"usd": 1, "perod": "day"}}, {"budget": {"usd": 1, "period": "week"}}, {"budget": {"period": "day"}}):
        assert list(validator.iter_errors({"keys": [{**entry, **bad}]})), bad
