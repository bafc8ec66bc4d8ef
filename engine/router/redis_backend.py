"""The Redis :class:`~specwire.router.state.StateBackend`: router state shared by many processes and
hosts (redis-py from the optional ``redis`` extra: ``pip install 'specwire[redis]'``, imported when
the backend is created).

Every read-modify-write is one Lua script, so it is atomic on the server whatever the number of
callers: token buckets (all-or-nothing over a deployment's ``rpm`` and ``tpm`` buckets), bucket
corrections, circuit acquisition (half-open probe slots) and outcome recording (window counts and
transitions), moving averages.  Counters use ``INCRBY``; cache entries ``SET … PX`` (the TTL is
Redis's own).  The scripts implement exactly the state machine of :mod:`specwire.router.state`
(the test suite runs the same scenarios against both backends).

Time: by default the scripts read the Redis server's clock (``TIME``), so hosts with skewed clocks
agree on cooldowns and refills; ``server_time=False`` uses the ``now`` the router passes (tests
with a fake clock).  Keys are ``<prefix>:<key>``; the router puts a deployment's id in a
``{hash tag}`` so a script's keys live in one Redis Cluster slot.

Time bounds: a backend built from a URL never retries inside redis-py and connects, sends and
reads under the budget of the operation in progress (:func:`specwire.router.failsafe.op_budget`:
what is left of the router call, capped), else under ``op_timeout`` seconds; the router wraps
it in a :class:`~specwire.router.failsafe.FailSafeBackend`, so a dead or frozen Redis degrades
to per-process state instead of failing calls.  A ``client=`` you pass keeps its own timeouts
and retries.

Credentials: the URL comes from an environment variable (``state.url_env``) or is given without a
password; it is never printed (``repr`` shows the host only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from .failsafe import OP_TIMEOUT, op_budget
from .state import CircuitParams, CircuitView, StateBackend, as_state, make_circuit_view, Bucket

__all__ = ["RedisBackend"]

_NOW = """
local now = tonumber(ARGV[1])
if now < 0 then local t = redis.call('TIME'); now = tonumber(t[1]) + tonumber(t[2]) / 1000000 end
"""

_TAKE = _NOW + """
local n = #KEYS
local levels, stamps, amounts = {}, {}, {}
local wait = 0
for i = 1, n do
  local cap = tonumber(ARGV[(i - 1) * 3 + 2])
  local rate = tonumber(ARGV[(i - 1) * 3 + 3])
  local amt = math.min(tonumber(ARGV[(i - 1) * 3 + 4]), cap)
  local h = redis.call('HMGET', KEYS[i], 't', 'ts')
  local tokens = tonumber(h[1]) or cap
  local ts = tonumber(h[2]) or now
  if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate) end
  levels[i] = tokens
  stamps[i] = math.max(ts, now)
  amounts[i] = amt
  if tokens < amt then
    local w = 1e18
    if rate > 0 then w = (amt - tokens) / rate end
    if w > wait then wait = w end
  end
end
if wait > 0 then return {0, tostring(wait)} end
for i = 1, n do
  local cap = tonumber(ARGV[(i - 1) * 3 + 2])
  local rate = tonumber(ARGV[(i - 1) * 3 + 3])
  redis.call('HSET', KEYS[i], 't', tostring(levels[i] - amounts[i]), 'ts', tostring(stamps[i]))
  redis.call('PEXPIRE', KEYS[i], math.min(math.ceil(2 * cap / math.max(rate, 1e-9) * 1000) + 60000, 86400000))
end
return {1, '0'}
"""

_ADJUST = _NOW + """
local cap, rate, delta = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local h = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(h[1]) or cap
local ts = tonumber(h[2]) or now
if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate) end
tokens = math.max(math.min(cap, tokens - delta), -cap)
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(math.max(ts, now)))
redis.call('PEXPIRE', KEYS[1], math.min(math.ceil(2 * cap / math.max(rate, 1e-9) * 1000) + 60000, 86400000))
return tostring(tokens)
"""

_LEVELS = _NOW + """
local out = {}
for i = 1, #KEYS do
  local cap = tonumber(ARGV[(i - 1) * 2 + 2])
  local rate = tonumber(ARGV[(i - 1) * 2 + 3])
  local h = redis.call('HMGET', KEYS[i], 't', 'ts')
  local tokens = tonumber(h[1]) or cap
  local ts = tonumber(h[2]) or now
  if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate) end
  out[i] = tostring(tokens)
end
return out
"""

# ARGV: now, half_open_probes, probe_lease, ttl_ms
_ACQUIRE = _NOW + """
local h = redis.call('HMGET', KEYS[1], 'state', 'until', 'probes', 'lease')
local st = tonumber(h[1]) or 0
local probes = tonumber(h[3]) or 0
if st == 1 then
  local untl = tonumber(h[2]) or 0
  if now < untl then return {0, 1, tostring(untl - now)} end
  st = 2
  probes = 0
  redis.call('HSET', KEYS[1], 'state', 2, 'probes', 0)
end
if st == 2 then
  local lease = tonumber(h[4]) or 0
  if probes >= tonumber(ARGV[2]) and now < lease then return {0, 2, tostring(lease - now)} end
  if now >= lease then probes = 0 end
  redis.call('HSET', KEYS[1], 'probes', probes + 1, 'lease', tostring(now + tonumber(ARGV[3])))
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
  return {1, 2, '0'}
end
return {1, 0, '0'}
"""

# ARGV: now, ok, hint(-1: none), window, buckets, min_requests, failure_rate, consecutive, cooldown, max_cooldown, ttl_ms
_RECORD = _NOW + """
local ok = tonumber(ARGV[2]) == 1
local hint = tonumber(ARGV[3])
local window, nb = tonumber(ARGV[4]), tonumber(ARGV[5])
local cur = math.floor(now / (window / nb))
local field = 'f:'
if ok then field = 's:' end
redis.call('HINCRBY', KEYS[2], field .. cur, 1)
redis.call('PEXPIRE', KEYS[2], math.ceil(window * 2000))
local all = redis.call('HGETALL', KEYS[2])
local s, f = 0, 0
for i = 1, #all, 2 do
  local idx = tonumber(string.sub(all[i], 3))
  if idx <= cur - nb then
    redis.call('HDEL', KEYS[2], all[i])
  elseif string.sub(all[i], 1, 1) == 's' then
    s = s + tonumber(all[i + 1])
  else
    f = f + tonumber(all[i + 1])
  end
end
local h = redis.call('HMGET', KEYS[1], 'state', 'until', 'cooldown', 'consecutive')
local st = tonumber(h[1]) or 0
local untl = tonumber(h[2]) or 0
local cd = tonumber(h[3]) or 0
local consec = tonumber(h[4]) or 0
local base, maxcd = tonumber(ARGV[9]), tonumber(ARGV[10])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[11]))
if ok then
  if st == 2 then
    redis.call('HSET', KEYS[1], 'state', 0, 'probes', 0, 'lease', 0, 'cooldown', 0, 'until', 0, 'consecutive', 0)
    redis.call('DEL', KEYS[2])
    return 0
  end
  redis.call('HSET', KEYS[1], 'consecutive', 0)
  return st
end
consec = consec + 1
redis.call('HSET', KEYS[1], 'consecutive', consec)
if st == 2 then
  cd = math.min(math.max(cd, base) * 2, maxcd)
  local d = cd
  if hint >= 0 then d = hint end
  redis.call('HSET', KEYS[1], 'state', 1, 'probes', 0, 'lease', 0, 'cooldown', tostring(cd), 'until', tostring(now + math.min(d, maxcd)))
  return 1
elseif st == 0 then
  local total = s + f
  if hint >= 0 or consec >= tonumber(ARGV[8]) or (total >= tonumber(ARGV[6]) and f / total >= tonumber(ARGV[7])) then
    local d = base
    if hint >= 0 then d = hint end
    redis.call('HSET', KEYS[1], 'state', 1, 'cooldown', tostring(base), 'until', tostring(now + math.min(d, maxcd)))
    return 1
  end
  return 0
end
if hint >= 0 then
  redis.call('HSET', KEYS[1], 'until', tostring(math.max(untl, now + math.min(hint, maxcd))))
end
return 1
"""

_RELEASE = """
local h = redis.call('HMGET', KEYS[1], 'state', 'probes')
if tonumber(h[1]) == 2 and (tonumber(h[2]) or 0) > 0 then redis.call('HINCRBY', KEYS[1], 'probes', -1) end
return 1
"""

_EWMA = """
local old = tonumber(redis.call('GET', KEYS[1]))
local x, a = tonumber(ARGV[1]), tonumber(ARGV[2])
local new = x
if old then new = a * x + (1 - a) * old end
redis.call('SET', KEYS[1], tostring(new), 'EX', 86400)
return tostring(new)
"""


def _deadline_connection(base: type) -> type:
    """A redis-py connection class that arms its connect and socket timeouts with the budget of
    the operation in progress (:func:`op_budget`) before it connects or sends a command."""

    class DeadlineConnection(base):  # type: ignore[misc]  # a class made at run time
        def _arm(self) -> None:
            budget = op_budget()
            if budget is None:
                return
            self.socket_timeout = self.socket_connect_timeout = budget
            sock = getattr(self, "_sock", None)
            if sock is not None:
                sock.settimeout(budget)

        def connect(self, *args: Any, **kwargs: Any) -> Any:
            self._arm()
            return super().connect(*args, **kwargs)

        def send_packed_command(self, command: Any, check_health: bool = True) -> Any:
            self._arm()
            return super().send_packed_command(command, check_health)

    DeadlineConnection.__name__ = DeadlineConnection.__qualname__ = f"Deadline{base.__name__}"
    return DeadlineConnection


class RedisBackend(StateBackend):
    """State in Redis (see the module docstring).  ``url``: ``redis://host:port/db`` (credentials
    belong in an environment variable: use :meth:`from_env`); or an existing redis-py ``client``
    (not closed by :meth:`close`)."""

    blocking = True

    def __init__(self, url: str | None = None, *, client: Any = None, prefix: str = "specwire:router", server_time: bool = True,
                 op_timeout: float = OP_TIMEOUT) -> None:
        if client is None:
            if not url:
                raise ConfigError("RedisBackend needs a url or a client")
            try:
                import redis
                from redis.backoff import NoBackoff
                from redis.connection import parse_url
                from redis.retry import Retry
            except ImportError:  # pragma: no cover - depends on the environment
                raise ConfigError("the Redis backend needs redis-py: pip install 'specwire[redis]'") from None
            base = parse_url(url).get("connection_class", redis.Connection)
            client = redis.Redis.from_url(url, socket_timeout=op_timeout, socket_connect_timeout=op_timeout,
                                          retry=Retry(NoBackoff(), 0), connection_class=_deadline_connection(base))
            self._owned = True
        else:
            self._owned = False
        self._client = client
        self._host = urlsplit(url).hostname if url else "client"
        self._prefix = prefix
        self._server_time = server_time
        self._take = client.register_script(_TAKE)
        self._adjust = client.register_script(_ADJUST)
        self._levels = client.register_script(_LEVELS)
        self._acquire = client.register_script(_ACQUIRE)
        self._record = client.register_script(_RECORD)
        self._release = client.register_script(_RELEASE)
        self._ewma = client.register_script(_EWMA)

    @classmethod
    def from_env(cls, url_env: str, *, env: Mapping[str, str], prefix: str = "specwire:router", server_time: bool = True) -> RedisBackend:
        """A backend whose URL (which may hold a password) is read from the variable ``url_env``."""
        url = env.get(url_env)
        if not url:
            raise ConfigError(f"the router's Redis state needs the environment variable {url_env} (a redis:// URL)")
        return cls(url, prefix=prefix, server_time=server_time)

    def __repr__(self) -> str:
        return f"RedisBackend(host={self._host!r}, prefix={self._prefix!r})"

    def _k(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    def _now(self, now: float) -> float:
        return -1.0 if self._server_time else now

    def close(self) -> None:
        if self._owned:
            self._client.close()

    # counters
    def incr(self, key: str, delta: int = 1) -> int:
        pipe = self._client.pipeline(transaction=True)
        pipe.incrby(self._k(key), delta)
        pipe.expire(self._k(key), 86400)
        value, _ = pipe.execute()
        return int(value)

    def incr_ttl(self, key: str, delta: int, ttl: float, now: float) -> int:
        pipe = self._client.pipeline(transaction=True)
        pipe.incrby(self._k(key), delta)
        pipe.pexpire(self._k(key), max(int(math.ceil(ttl * 1000)), 1))
        value, _ = pipe.execute()
        return int(value)

    def get_counts(self, keys: Sequence[str]) -> list[int]:
        if not keys:
            return []
        return [int(v) if v is not None else 0 for v in self._client.mget([self._k(k) for k in keys])]

    # moving averages
    def ewma_update(self, key: str, sample: float, alpha: float) -> float:
        return float(self._ewma(keys=[self._k(key)], args=[repr(float(sample)), repr(float(alpha))]))

    def ewma_get(self, keys: Sequence[str]) -> list[float | None]:
        if not keys:
            return []
        return [float(v) if v is not None else None for v in self._client.mget([self._k(k) for k in keys])]

    # token buckets
    def bucket_take(self, buckets: Sequence[Bucket], now: float) -> tuple[bool, float]:
        args: list[Any] = [repr(self._now(now))]
        for b in buckets:
            args += [repr(float(b.capacity)), repr(float(b.rate)), repr(float(b.amount))]
        ok, wait = self._take(keys=[self._k(b.key) for b in buckets], args=args)
        return bool(int(ok)), float(wait)

    def bucket_adjust(self, bucket: Bucket, delta: float, now: float) -> None:
        self._adjust(keys=[self._k(bucket.key)], args=[repr(self._now(now)), repr(float(bucket.capacity)), repr(float(bucket.rate)), repr(float(delta))])

    def bucket_levels(self, buckets: Sequence[Bucket], now: float) -> list[float]:
        if not buckets:
            return []
        args: list[Any] = [repr(self._now(now))]
        for b in buckets:
            args += [repr(float(b.capacity)), repr(float(b.rate))]
        return [float(v) for v in self._levels(keys=[self._k(b.key) for b in buckets], args=args)]

    # circuits
    @staticmethod
    def _ttl_ms(p: CircuitParams) -> int:
        return int(math.ceil((p.max_cooldown + p.window + p.probe_lease) * 2000))

    def circuit_acquire(self, key: str, now: float, params: CircuitParams) -> tuple[bool, str, float]:
        ok, state, retry_in = self._acquire(keys=[self._k(key)], args=[repr(self._now(now)), params.half_open_probes, repr(params.probe_lease), self._ttl_ms(params)])
        return bool(int(ok)), as_state(int(state)), float(retry_in)

    def circuit_record(self, key: str, ok: bool, now: float, params: CircuitParams, hint: float | None = None) -> str:
        args = [
            repr(self._now(now)), 1 if ok else 0, repr(-1.0 if hint is None else max(float(hint), 0.0)),
            repr(params.window), params.buckets, params.min_requests, repr(params.failure_rate),
            params.consecutive_failures, repr(params.cooldown), repr(params.max_cooldown), self._ttl_ms(params),
        ]
        return as_state(int(self._record(keys=[self._k(key), self._k(key) + ":w"], args=args)))

    def circuit_release(self, key: str, now: float) -> None:
        self._release(keys=[self._k(key)], args=[])

    def circuit_view(self, keys: Sequence[str], now: float, params: CircuitParams) -> list[CircuitView]:
        pipe = self._client.pipeline(transaction=False)
        pipe.time()
        for key in keys:
            pipe.hmget(self._k(key), ["state", "until", "probes", "lease", "consecutive", "cooldown"])
            pipe.hgetall(self._k(key) + ":w")
        results = pipe.execute()
        if self._server_time:
            sec, usec = results[0]
            now = int(sec) + int(usec) / 1e6
        size = params.window / params.buckets
        current = math.floor(now / size)
        out = []
        for i in range(len(keys)):
            h, window = results[1 + 2 * i], results[2 + 2 * i]
            state, until, probes, lease, consecutive, cooldown = (float(v) if v is not None else 0.0 for v in h)
            oks = fails = 0
            for fld, count in window.items():
                kind, _, idx = fld.decode().partition(":")
                if int(idx) > current - params.buckets:
                    if kind == "s":
                        oks += int(count)
                    else:
                        fails += int(count)
            out.append(make_circuit_view(as_state(int(state)), until, int(probes), lease, int(consecutive), cooldown, oks, fails, now, params))
        return out

    # cache
    def cache_get(self, key: str, now: float) -> bytes | None:
        value = self._client.get(self._k(key))
        return bytes(value) if value is not None else None

    def cache_set(self, key: str, value: bytes, ttl: float | None, now: float) -> None:
        if ttl is None:
            self._client.set(self._k(key), value)
        else:
            self._client.set(self._k(key), value, px=max(int(ttl * 1000), 1))
