"""The gateway's own settings: its keys and limits, from a ``gateway:`` section of the router config.

A router config file may carry a top-level ``gateway:`` section (the router itself does not read
it: :func:`split_config` takes it out before the :class:`~specwire.router.Router` sees the rest)::

    gateway:
      max_body_bytes: 4194304          # larger request bodies are refused with 413
      max_upstream_connections: 1000   # connections open at once to the providers (per pool)
      keys:
        - name: team-a
          key_env: GATEWAY_KEY_TEAM_A  # the key itself, from the environment (never in the file)
          models: ["gpt-*", chat]      # glob patterns on the requested model name
        - name: ci
          sha256: 9f86d081884c7d65...  # hex SHA-256 of the key: the key never sits in the file
          groups: [fast]               # the router group the requested name resolves to
          rpm: 60                      # requests per minute (429 with retry-after beyond)
          tpm: 100000                  # tokens per minute, input + output as the providers report them
          budget: {usd: 10.0, period: day}   # USD per period: hour, day, month (UTC) or seconds

A key without ``models`` and ``groups`` may use every model; with either, a model is allowed when
its name matches one of ``models`` *or* it resolves to one of ``groups``.  A gateway without keys
refuses to start unless ``allow_anonymous: true`` (or ``create_app(..., allow_anonymous=True)``).
Keys are held only as SHA-256 digests and compared in constant time (:func:`hmac.compare_digest`).
``rpm``, ``tpm`` and ``budget`` are enforced per key by :mod:`specwire.gateway.limits` (through the
router's state backend, so replicas sharing a Redis share the counts).
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_UPSTREAM_CONNECTIONS", "PERIODS", "Budget", "GatewayConfig", "GatewayKey", "key_digest", "parse_gateway", "split_config"]

#: The default cap on a request body, in bytes (4 MiB).
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
#: The default size of the gateway's upstream connection pools: every stream in flight holds one
#: connection to its provider, so a gateway needs far more than a library client's 100.
DEFAULT_MAX_UPSTREAM_CONNECTIONS = 1000

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_KEY_FIELDS = frozenset({"name", "key_env", "sha256", "models", "groups", "rpm", "tpm", "budget"})
_BUDGET_FIELDS = frozenset({"usd", "period"})
#: The named budget periods and their length in seconds (``month``: a calendar month, UTC; the
#: length given here is only its longest).
PERIODS = {"hour": 3600.0, "day": 86400.0, "month": 31 * 86400.0}
_SECTION_FIELDS = frozenset({"keys", "max_body_bytes", "allow_anonymous", "max_upstream_connections"})


@dataclass(frozen=True)
class Budget:
    """What a key may spend: ``usd`` (USD, > 0) per ``period``: ``"hour"``, ``"day"``,
    ``"month"`` (UTC calendar periods) or a number of seconds (periods aligned on the Unix epoch)."""

    usd: float
    period: str | float = "day"

    @classmethod
    def of(cls, value: Any, where: str) -> Budget:
        """A budget from its config mapping ``{usd, period}``; ``where`` names it in errors.
        Raises :class:`~specwire.errors.ConfigError`."""
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping {{usd: <USD>, period: hour|day|month|<seconds>}}")
        unknown = sorted(set(value) - _BUDGET_FIELDS)
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))} (known: {', '.join(sorted(_BUDGET_FIELDS))})")
        if "usd" not in value:
            raise ConfigError(f"{where}.usd: missing (the USD the key may spend per period)")
        usd = _positive(value["usd"], f"{where}.usd", "USD")
        period = value.get("period", "day")
        if isinstance(period, str):
            if period not in PERIODS:
                raise ConfigError(f"{where}.period: expected hour, day, month or a number of seconds, got {period!r}")
            return cls(usd=usd, period=period)
        return cls(usd=usd, period=_positive(period, f"{where}.period", "seconds"))


def _positive(value: Any, where: str, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{where}: expected a positive number ({unit}), got {value!r}")
    return float(value)


def key_digest(key: str) -> str:
    """The hex SHA-256 digest of a gateway key (what a config's ``sha256:`` holds)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GatewayKey:
    """One gateway key: its ``name`` (for logs and metrics, never the key), the key's SHA-256
    ``digest`` (hex), the ``models`` (glob patterns) and ``groups`` it may use (``None``: no
    restriction of that kind), and its limits: ``rpm`` (requests per minute), ``tpm`` (tokens
    per minute) and ``budget`` (:class:`Budget`), ``None`` when unlimited."""

    name: str
    digest: str
    models: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None
    rpm: float | None = None
    tpm: float | None = None
    budget: Budget | None = None

    def __repr__(self) -> str:
        return (f"GatewayKey(name={self.name!r}, models={self.models!r}, groups={self.groups!r}, rpm={self.rpm!r}, "
                f"tpm={self.tpm!r}, budget={self.budget!r})")

    @property
    def limited(self) -> bool:
        """Whether the key has any of ``rpm``, ``tpm``, ``budget``."""
        return self.rpm is not None or self.tpm is not None or self.budget is not None

    @classmethod
    def of(cls, value: str | Mapping[str, Any] | GatewayKey, *, index: int = 0, env: Mapping[str, str] | None = None) -> GatewayKey:
        """A key from a plain key string (named ``key-<index>``), a config entry (see the module
        docstring) or a :class:`GatewayKey`.  Raises :class:`~specwire.errors.ConfigError`."""
        if isinstance(value, GatewayKey):
            return value
        if isinstance(value, str):
            if not value:
                raise ConfigError(f"gateway.keys[{index}]: an empty key")
            return cls(name=f"key-{index}", digest=key_digest(value))
        if not isinstance(value, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of config data
            raise ConfigError(f"gateway.keys[{index}]: expected a mapping or a key string, got {type(value).__name__}")
        unknown = sorted(set(value) - _KEY_FIELDS)
        if unknown:
            raise ConfigError(f"gateway.keys[{index}]: unknown field(s) {', '.join(map(repr, unknown))} (known: {', '.join(sorted(_KEY_FIELDS))})")
        name = value.get("name") or f"key-{index}"
        if ("key_env" in value) == ("sha256" in value):
            raise ConfigError(f"gateway.keys[{index}] ({name}): give exactly one of key_env (an environment variable) or sha256 (the key's hex digest)")
        if "sha256" in value:
            digest = str(value["sha256"]).lower()
            if not _HEX64.match(digest):
                raise ConfigError(f"gateway.keys[{index}] ({name}): sha256 must be 64 hex digits")
        else:
            var = str(value["key_env"])
            key = (env if env is not None else os.environ).get(var)
            if not key:
                raise ConfigError(f"gateway.keys[{index}] ({name}): the environment variable {var} is not set")
            digest = key_digest(key)
        where = f"gateway.keys[{index}]"
        rpm, tpm, budget = value.get("rpm"), value.get("tpm"), value.get("budget")
        return cls(name=str(name), digest=digest, models=_names(value, "models", index), groups=_names(value, "groups", index),
                   rpm=None if rpm is None else _positive(rpm, f"{where}.rpm", "requests per minute"),
                   tpm=None if tpm is None else _positive(tpm, f"{where}.tpm", "tokens per minute"),
                   budget=None if budget is None else Budget.of(budget, f"{where}.budget"))

    def allows(self, model: str, group: str | None) -> bool:
        """Whether this key may call ``model`` (the requested name), which resolves to ``group``."""
        if self.models is None and self.groups is None:
            return True
        if self.models and any(fnmatch.fnmatchcase(model, pattern) for pattern in self.models):
            return True
        return bool(self.groups and group is not None and group in self.groups)


def _names(entry: Mapping[str, Any], field: str, index: int) -> tuple[str, ...] | None:
    value = entry.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"gateway.keys[{index}].{field}: expected a list of names")
    return tuple(value)


@dataclass(frozen=True)
class GatewayConfig:
    """The gateway's keys, body cap (bytes), whether it runs without keys, and the size of its
    upstream connection pools (connections open at once)."""

    keys: tuple[GatewayKey, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    allow_anonymous: bool = False
    max_upstream_connections: int = DEFAULT_MAX_UPSTREAM_CONNECTIONS

    def authenticate(self, presented: str | None) -> GatewayKey | None:
        """The key matching ``presented`` (compared by digest in constant time), or ``None``."""
        if not presented:
            return None
        digest = key_digest(presented)
        found = None
        for key in self.keys:  # every key is compared: the time does not depend on which matched
            if hmac.compare_digest(key.digest, digest):
                found = key
        return found


def parse_gateway(section: Any, *, env: Mapping[str, str] | None = None) -> GatewayConfig:
    """A :class:`GatewayConfig` from a ``gateway:`` section (see the module docstring).  Raises
    :class:`~specwire.errors.ConfigError` naming the field at fault."""
    if section is None:
        return GatewayConfig()
    if not isinstance(section, Mapping):
        raise ConfigError("gateway: expected a mapping")
    unknown = sorted(set(section) - _SECTION_FIELDS)
    if unknown:
        raise ConfigError(f"gateway: unknown field(s) {', '.join(map(repr, unknown))} (known: {', '.join(sorted(_SECTION_FIELDS))})")
    keys = section.get("keys") or []
    if not isinstance(keys, list):
        raise ConfigError("gateway.keys: expected a list")
    for index, value in enumerate(keys):
        if isinstance(value, str):  # a key written into the file: refused, without echoing it
            raise ConfigError(f"gateway.keys[{index}]: a key is never written in the config; give key_env (an environment variable) or sha256 (its hex digest)")
    cap = section.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)
    if not isinstance(cap, int) or isinstance(cap, bool) or cap <= 0:
        raise ConfigError("gateway.max_body_bytes: expected a positive integer (bytes)")
    pool = section.get("max_upstream_connections", DEFAULT_MAX_UPSTREAM_CONNECTIONS)
    if not isinstance(pool, int) or isinstance(pool, bool) or pool <= 0:
        raise ConfigError("gateway.max_upstream_connections: expected a positive integer (connections)")
    return GatewayConfig(keys=_keys(keys, env), max_body_bytes=cap, allow_anonymous=bool(section.get("allow_anonymous", False)),
                         max_upstream_connections=pool)


def _keys(values: Iterable[Any], env: Mapping[str, str] | None) -> tuple[GatewayKey, ...]:
    keys = tuple(GatewayKey.of(v, index=i, env=env) for i, v in enumerate(values))
    names = [k.name for k in keys]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"gateway.keys: the name(s) {', '.join(map(repr, dup))} are used twice")
    return keys


def split_config(source: str | Path | Mapping[str, Any]) -> tuple[str | Path | Mapping[str, Any], Mapping[str, Any] | None]:
    """``(router_config, gateway_section)``: a router config (a file path or a dict) without its
    ``gateway:`` section, and that section (``None`` when absent).  A file is read with the spec
    loader (safe YAML); one that does not load is returned as it is, for the router to report."""
    if isinstance(source, Mapping):
        data: Any = source
    else:
        from ..spec.loader import load_file

        loaded = load_file(source)
        if loaded.data is None or any(i.level == "error" for i in loaded.issues) or not isinstance(loaded.data, dict):
            return source, None
        data = loaded.data
        if "gateway" not in data:
            return source, None
    if "gateway" not in data:
        return source, None
    rest = {k: v for k, v in data.items() if k != "gateway"}
    return rest, data["gateway"]
