"""``azure-ad``: Microsoft Entra ID (Azure AD) bearer tokens for Azure OpenAI.

:func:`azure_ad_auth` returns an :class:`httpx.Auth` that adds ``Authorization: Bearer <token>``
(https://learn.microsoft.com/azure/ai-foundry/openai/how-to/managed-identity ; the ``openai``
3.54.0 SDK's ``AzureOpenAI`` sends the same header for ``azure_ad_token_provider``,
``openai/lib/azure.py``).  The token comes from, in order:

1. the key the client resolved for the spec (``api_key=`` on the call, ``Client(api_keys=…)``, or
   the spec's ``env.api_key`` variable; ``providers.d/azure-openai-entra.yaml`` names
   ``AZURE_OPENAI_AD_TOKEN``, the openai SDK's variable for a ready-made token) -- sent as is;
2. otherwise ``azure.identity.DefaultAzureCredential`` (environment, workload identity, managed
   identity, Azure CLI…), for the scopes in the spec's ``auth.scopes`` (default
   ``https://cognitiveservices.azure.com/.default``, the scope of the dated Azure OpenAI API in
   openai-node ``docs/azure.md``).  ``azure-identity`` is the optional ``azure`` extra
   (``pip install 'specwire[azure]'``), imported lazily; without it the factory raises a
   :class:`~specwire.ConfigError` saying so.

Tokens are cached per scope set for the whole process (one credential object, shared by every
client and call) and fetched again :data:`REFRESH_MARGIN_S` seconds before they expire, under a
lock, so concurrent calls trigger one fetch.  In async code the (blocking) fetch runs in a worker
thread.

Destination check (docs/RELIABILITY.md T4/T8): a credential-chain token is attached only to an Azure
OpenAI host over https -- ``*.openai.azure.com``, ``*.cognitiveservices.azure.com``,
``*.services.ai.azure.com`` -- or to the host of the ``AZURE_OPENAI_ENDPOINT`` variable the user
set (a custom domain or gateway), or to loopback; anything else is refused with a
:class:`~specwire.ConfigError` before the request leaves.  A third-party spec therefore cannot
aim the user's Entra identity at its own host by changing ``base_url``.  (A token passed as a key
is bound to hosts by the client, like any key.)  Tokens are :class:`~specwire.redact.Secret`
values: ``repr`` shows ``***`` and the value is registered for redaction.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..binding import check_token_destination
from ..errors import ConfigError
from ..redact import Secret, redact_text
from .credentials import Credentials

__all__ = [
    "ALLOWED_HOST_PATTERNS",
    "DEFAULT_SCOPE",
    "REFRESH_MARGIN_S",
    "AzureADAuth",
    "StaticBearerAuth",
    "azure_ad_auth",
    "clear_token_cache",
]

DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
#: Fetch a new token when the cached one expires within this many seconds.
REFRESH_MARGIN_S = 300.0
#: Hosts an Entra token may be sent to (``*`` is one DNS label), besides AZURE_OPENAI_ENDPOINT's.
ALLOWED_HOST_PATTERNS = ("*.openai.azure.com", "*.cognitiveservices.azure.com", "*.services.ai.azure.com")
ENDPOINT_ENV = "AZURE_OPENAI_ENDPOINT"

_INSTALL_HINT = "install the optional extra: pip install 'specwire[azure]'"


# ---------------------------------------------------------------------------- the credential
def _load_credential() -> Any:
    """A new ``DefaultAzureCredential`` (azure-identity imported here, lazily)."""
    _require_identity()
    from azure.identity import DefaultAzureCredential  # pyright: ignore[reportMissingImports]  # the azure extra

    return DefaultAzureCredential()


class _TokenCache:
    """One credential and its current token for a set of scopes.  Thread-safe."""

    def __init__(self, scopes: tuple[str, ...], factory: Callable[[], Any], clock: Callable[[], float]) -> None:
        self.scopes = scopes
        self._factory = factory
        self._clock = clock
        self._credential: Any = None
        self._token: Secret | None = None
        self._expires_on = 0.0
        self._lock = threading.Lock()
        self.fetches = 0  # how many tokens were fetched (for tests and diagnostics)

    def token(self) -> Secret:
        with self._lock:
            if self._token is not None and self._expires_on - self._clock() > REFRESH_MARGIN_S:
                return self._token
            if self._credential is None:
                self._credential = self._factory()
            try:
                access = self._credential.get_token(*self.scopes)
            except ConfigError:
                raise
            except Exception as exc:  # noqa: BLE001 -- azure.core ClientAuthenticationError and friends, reported as ConfigError
                detail = redact_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                raise ConfigError(f"could not get a Microsoft Entra ID token for {', '.join(self.scopes)} ({type(exc).__name__}: {detail}); sign in (az login), configure a managed identity or the AZURE_CLIENT_* variables, or pass a token as api_key=…") from None
            value = getattr(access, "token", None)
            if not isinstance(value, str) or not value:
                raise ConfigError("the Azure credential returned no token")
            self.fetches += 1
            self._token = Secret(value)
            self._expires_on = float(getattr(access, "expires_on", 0) or 0)
            return self._token


_caches: dict[tuple[str, ...], _TokenCache] = {}
_caches_lock = threading.Lock()


def _cache_for(scopes: tuple[str, ...]) -> _TokenCache:
    with _caches_lock:
        cache = _caches.get(scopes)
        if cache is None:
            cache = _caches[scopes] = _TokenCache(scopes, _load_credential, time.time)
        return cache


def clear_token_cache() -> None:
    """Forget every cached credential and token (tests; after ``az login`` as someone else)."""
    with _caches_lock:
        _caches.clear()


# ---------------------------------------------------------------------------- destination check
def _allowed_patterns(env: Mapping[str, str] | None) -> list[str]:
    patterns: list[str] = list(ALLOWED_HOST_PATTERNS)
    endpoint = (env or {}).get(ENDPOINT_ENV)
    if endpoint:
        host = urlsplit(endpoint).hostname
        if host:
            patterns.append(host.lower())
    return patterns


def _check_destination(url: httpx.URL, patterns: Sequence[str]) -> None:
    reason = check_token_destination(
        url.scheme, url.host or "", patterns, token="a Microsoft Entra ID token",
        allowed=f"it goes only to Azure OpenAI hosts ({', '.join(ALLOWED_HOST_PATTERNS)}) or the host of {ENDPOINT_ENV}; set {ENDPOINT_ENV} to use a custom domain",
    )
    if reason is not None:
        raise ConfigError(reason)


# ---------------------------------------------------------------------------- the auth objects
class AzureADAuth(httpx.Auth):
    """``Authorization: Bearer <Entra ID token>`` from the shared credential cache."""

    def __init__(self, cache: _TokenCache, allowed: Sequence[str]) -> None:
        self._cache = cache
        self._allowed = tuple(allowed)

    def __repr__(self) -> str:
        return f"AzureADAuth(scopes={list(self._cache.scopes)!r}, token=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        _check_destination(request.url, self._allowed)
        request.headers["Authorization"] = f"Bearer {self._cache.token().reveal()}"
        yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        _check_destination(request.url, self._allowed)
        token = await asyncio.to_thread(self._cache.token)  # the credential chain does blocking I/O
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        yield request


class StaticBearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` for a token the caller supplied."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticBearerAuth(token=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request


def _require_identity() -> None:
    try:
        importlib.import_module("azure.identity")
    except ImportError:
        raise ConfigError(f"the azure-ad auth scheme needs the azure-identity package to get a Microsoft Entra ID token: {_INSTALL_HINT}; or pass a token as api_key=… / set AZURE_OPENAI_AD_TOKEN") from None


def azure_ad_auth(auth_spec: dict[str, Any], credentials: Credentials) -> httpx.Auth:
    """The ``azure-ad`` auth hook (see the module docstring).  ``auth_spec["scopes"]``: the OAuth
    scopes (default :data:`DEFAULT_SCOPE`).  Raises :class:`ConfigError` when no token was given and
    azure-identity is not installed, so the call fails before any request is sent."""
    if credentials.api_key is not None:
        return StaticBearerAuth(credentials.api_key)
    scopes = tuple(auth_spec.get("scopes") or (DEFAULT_SCOPE,))
    _require_identity()
    return AzureADAuth(_cache_for(scopes), _allowed_patterns(credentials.env))
