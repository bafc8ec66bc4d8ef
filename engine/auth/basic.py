"""Built-in auth schemes: ``none``, ``bearer``, ``header`` and ``query``.

* ``bearer``: ``Authorization: Bearer <key>`` (OpenAI, Anthropic since anthropic-version 2026-10-21);
* ``header``: the key in the header the spec names (``name: x-goog-api-key``), with an optional
  ``prefix``;
* ``query``: the key as the query parameter the spec names (``param: key``); the URL then carries
  a secret, which every message and repr redacts;
* ``none``: nothing (local servers).

Each is an :class:`httpx.Auth` applied after the request is final.  The key is held in a
:class:`~specwire.redact.Secret`, so ``repr()`` of the auth object shows ``***``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx

from ..redact import Secret
from .credentials import Credentials

__all__ = ["bearer_auth", "header_auth", "none_auth", "query_auth"]


class _KeyAuth(httpx.Auth):
    def __init__(self, key: Secret) -> None:
        self._key = key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key=***)"


class BearerAuth(_KeyAuth):
    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._key.reveal()}"
        yield request


class HeaderAuth(_KeyAuth):
    def __init__(self, key: Secret, name: str, prefix: str = "") -> None:
        super().__init__(key)
        self._name, self._prefix = name, prefix

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._name] = f"{self._prefix}{self._key.reveal()}"
        yield request


class QueryAuth(_KeyAuth):
    def __init__(self, key: Secret, param: str) -> None:
        super().__init__(key)
        self._param = param

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params({self._param: self._key.reveal()})
        yield request


class NoAuth(httpx.Auth):
    sends_credentials = False  # no connect-time destination check (specwire.netguard)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield request


def _key(credentials: Credentials) -> Secret:
    if credentials.api_key is None:  # the client checks first and names the env variable
        raise ValueError("this auth scheme needs an API key")
    return credentials.api_key


def none_auth(spec: dict[str, Any], credentials: Credentials) -> httpx.Auth:
    return NoAuth()


def bearer_auth(spec: dict[str, Any], credentials: Credentials) -> httpx.Auth:
    return BearerAuth(_key(credentials))


def header_auth(spec: dict[str, Any], credentials: Credentials) -> httpx.Auth:
    return HeaderAuth(_key(credentials), spec.get("name", "x-api-key"), spec.get("prefix", ""))


def query_auth(spec: dict[str, Any], credentials: Credentials) -> httpx.Auth:
    return QueryAuth(_key(credentials), spec.get("param", "key"))


# A factory with `requires_api_key = True` gets a key or the client raises ConfigError naming the
# spec's env variables; other schemes (AWS, Google, Azure token auth) find their own credentials.
for _factory in (bearer_auth, header_auth, query_auth):
    _factory.requires_api_key = True  # type: ignore[attr-defined]

