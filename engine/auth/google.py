"""``google-oauth``: Google Cloud OAuth for Vertex AI (Gemini and Claude on Vertex AI).

:func:`google_oauth_auth` returns an :class:`httpx.Auth` chosen from the key the client resolved
for the spec (``api_key=`` on the call, ``Client(api_keys=…)``, or the spec's ``env.api_key``):

1. **Application Default Credentials** (no key, or a key from the environment while the
   ``project`` setting is set: an explicit project wins over an implicit key, as in google-genai
   3.4.0 ``_api_client.py``): ``google.auth.default(scopes=auth.scopes)`` (default
   :data:`CLOUD_PLATFORM_SCOPE`), refreshed with ``credentials.refresh(google.auth.transport.
   requests.Request())`` whenever ``credentials.valid`` is false (no token yet, or it expires
   within google-auth's refresh threshold), and once more after a 401.  Sends ``Authorization:
   Bearer <token>`` and, when the credentials name a quota project, ``x-goog-user-project`` (what
   google-genai 3.4.0 ``_api_client.py`` ``_request_once`` and the anthropic 2.12.0 SDK's
   ``lib/vertex/_client.py`` ``_ensure_access_token`` do).  ``google-auth`` (with ``requests``)
   is the optional ``google`` extra, imported lazily; without it, or without credentials, a
   :class:`~specwire.ConfigError` says what to install or set.  Both ``google.auth.default`` and
   the refresh do I/O (files, the metadata server, the token endpoint), so they run inside the
   auth flow -- in a worker thread for async calls -- never when the request is built.
2. **An API key, when the spec's auth block names a header** (``name: x-goog-api-key``): Vertex AI
   express mode, https://cloud.google.com/vertex-ai/generative-ai/docs/start/express-mode/overview
   (google-genai 3.4.0 sends the key in ``x-goog-api-key``, with no project in the path).
3. **An access token, when it names none** (Claude on Vertex): the key is a ready OAuth token,
   sent as ``Authorization: Bearer`` (the anthropic SDK's ``AnthropicVertex(access_token=…)``).

A request that already carries an ``Authorization`` header (``extra_headers``) is left as it is.

Credentials and tokens are cached per scope set for the whole process, one refresh at a time under
a lock (:func:`clear_token_cache` forgets them).  Tokens are :class:`~specwire.redact.Secret`
values, registered for redaction.

Destination check (docs/RELIABILITY.md T4/T8): a cloud-platform token can do anything the identity may
do in Google Cloud, so an ADC token goes only over https to Google API hosts
(:data:`ALLOWED_HOST_PATTERNS`), to the host of ``GOOGLE_VERTEX_BASE_URL`` /
``ANTHROPIC_VERTEX_BASE_URL`` when the user set one (a private endpoint or proxy), or to loopback;
anything else is refused with a :class:`~specwire.ConfigError` before the request leaves, so a
third-party spec cannot aim the user's Google identity at its own host.  (Keys and tokens given as
api keys are bound to hosts by the client, like every key.)
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..binding import check_token_destination
from ..errors import AuthenticationError, ConfigError, TransportError
from ..redact import Secret, redact_text
from .credentials import Credentials

__all__ = [
    "ALLOWED_HOST_PATTERNS",
    "BASE_URL_ENV",
    "CLOUD_PLATFORM_SCOPE",
    "GoogleAPIKeyAuth",
    "GoogleOAuth",
    "GoogleTokenAuth",
    "clear_token_cache",
    "google_oauth_auth",
]

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
#: Hosts an ADC token may be sent to (``*`` is one DNS label): Google API hosts, their mTLS
#: variants and the multi-regional ``aiplatform.{us,eu}.rep.googleapis.com``.
ALLOWED_HOST_PATTERNS = ("*.googleapis.com", "*.mtls.googleapis.com", "*.*.rep.googleapis.com")
#: Base-URL variables of the Google and Anthropic SDKs whose host may receive an ADC token.
BASE_URL_ENV = ("GOOGLE_VERTEX_BASE_URL", "ANTHROPIC_VERTEX_BASE_URL")

_INSTALL_HINT = "install the optional extra: pip install 'specwire[google]' requests"
_LOGIN_HINT = (
    "run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS to a "
    "service-account key file, or run on Google Cloud with an attached service account"
)


# ---------------------------------------------------------------------------- google-auth, lazily
def _google_auth() -> tuple[Any, Any]:
    """``(google.auth, google.auth.transport.requests.Request)``, imported on first use."""
    try:
        auth = importlib.import_module("google.auth")
    except ImportError:
        raise ConfigError(f"the google-oauth auth scheme needs the google-auth package for Application Default Credentials: {_INSTALL_HINT}") from None
    try:
        transport = importlib.import_module("google.auth.transport.requests")
    except ImportError:  # google-auth without its `requests` extra
        raise ConfigError(f"google-auth needs the requests package to refresh tokens: {_INSTALL_HINT}") from None
    return auth, transport.Request


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {redact_text(text)}" if text else type(exc).__name__


def _is(exc: BaseException, name: str) -> bool:
    """``exc`` is a ``google.auth.exceptions.<name>`` (matched by class name along the MRO, so
    that nothing here imports google-auth before it is needed)."""
    return any(cls.__name__ == name and cls.__module__.startswith("google.auth") for cls in type(exc).__mro__)


class _TokenCache:
    """ADC credentials and their current token for one scope set.  Thread-safe."""

    def __init__(self, scopes: tuple[str, ...], loader: Callable[[], tuple[Any, Any]] = _google_auth) -> None:
        self.scopes = scopes
        self._loader = loader
        self._credentials: Any = None
        self._lock = threading.Lock()
        self.refreshes = 0  # tokens fetched so far (tests, diagnostics)

    def headers(self, *, stale: str | None = None) -> dict[str, str]:
        """The auth headers; refreshes first when the token is missing or expiring, or when it is
        still ``stale`` (the token a 401 was answered with)."""
        with self._lock:
            auth, request_cls = self._loader()
            creds = self._credentials
            if creds is None:
                try:
                    creds, _project = auth.default(scopes=list(self.scopes))
                except Exception as exc:  # noqa: BLE001 -- DefaultCredentialsError and friends
                    raise self._error(exc, "no Google Application Default Credentials were found") from None
                self._credentials = creds
            if not creds.valid or (stale is not None and creds.token == stale):
                try:
                    creds.refresh(request_cls())
                except Exception as exc:  # noqa: BLE001 -- RefreshError, TransportError
                    raise self._error(exc, "the Google credentials could not be refreshed") from None
                self.refreshes += 1
            token = creds.token
            if not isinstance(token, str) or not token:
                raise ConfigError(f"the Google credentials gave no access token; {_LOGIN_HINT}")
            Secret(token)  # registered for redaction
            out = {"Authorization": f"Bearer {token}"}
            quota = getattr(creds, "quota_project_id", None)
            if isinstance(quota, str) and quota:
                out["x-goog-user-project"] = quota
            return out

    @staticmethod
    def _error(exc: BaseException, what: str) -> Exception:
        detail = _describe(exc)
        if _is(exc, "TransportError"):
            return TransportError(f"{what} ({detail}): the token endpoint or metadata server could not be reached")
        if _is(exc, "RefreshError"):
            return AuthenticationError(f"{what} ({detail}); {_LOGIN_HINT}")
        if isinstance(exc, ConfigError):
            return exc
        return ConfigError(f"{what} ({detail}); {_LOGIN_HINT}")


_caches: dict[tuple[str, ...], _TokenCache] = {}
_caches_lock = threading.Lock()


def _cache_for(scopes: tuple[str, ...]) -> _TokenCache:
    with _caches_lock:
        cache = _caches.get(scopes)
        if cache is None:
            cache = _caches[scopes] = _TokenCache(scopes)
        return cache


def clear_token_cache() -> None:
    """Forget every cached credential and token (tests; after signing in as someone else)."""
    with _caches_lock:
        _caches.clear()


# ---------------------------------------------------------------------------- destination check
def _allowed_patterns(env: Mapping[str, str] | None) -> list[str]:
    patterns: list[str] = list(ALLOWED_HOST_PATTERNS)
    for name in BASE_URL_ENV:
        value = (env or {}).get(name)
        host = urlsplit(value).hostname if value else None
        if host:
            patterns.append(host.lower())
    return patterns


def _check_destination(url: httpx.URL, patterns: Sequence[str]) -> None:
    reason = check_token_destination(
        url.scheme, url.host or "", patterns, token="a Google access token",
        allowed=f"it goes only to Google API hosts ({', '.join(ALLOWED_HOST_PATTERNS)}) or the host of {' / '.join(BASE_URL_ENV)}; set one of those to use a private endpoint or proxy",
    )
    if reason is not None:
        raise ConfigError(reason)


# ---------------------------------------------------------------------------- the auth objects
class GoogleOAuth(httpx.Auth):
    """``Authorization: Bearer <ADC token>`` (+ ``x-goog-user-project``) from the shared cache."""

    def __init__(self, cache: _TokenCache, allowed: Sequence[str]) -> None:
        self._cache = cache
        self._allowed = tuple(allowed)

    def __repr__(self) -> str:
        return f"GoogleOAuth(scopes={list(self._cache.scopes)!r}, token=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" in request.headers:
            yield request
            return
        _check_destination(request.url, self._allowed)
        request.headers.update(self._cache.headers())
        response = yield request
        if response.status_code == 401:  # revoked or expired early: refresh once and resend
            request.headers.update(self._cache.headers(stale=_bearer(request)))
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if "authorization" in request.headers:
            yield request
            return
        _check_destination(request.url, self._allowed)
        request.headers.update(await asyncio.to_thread(self._cache.headers))  # blocking I/O
        response = yield request
        if response.status_code == 401:
            stale = _bearer(request)
            request.headers.update(await asyncio.to_thread(self._cache.headers, stale=stale))
            yield request


def _bearer(request: httpx.Request) -> str | None:
    value = request.headers.get("authorization", "")
    return value[7:] if value[:7].lower() == "bearer " else None


class GoogleAPIKeyAuth(httpx.Auth):
    """An API key in the header the spec names (Vertex AI express mode: ``x-goog-api-key``)."""

    def __init__(self, key: Secret, header: str) -> None:
        self._key, self._header = key, header

    def __repr__(self) -> str:
        return f"GoogleAPIKeyAuth(header={self._header!r}, key=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" not in request.headers:
            request.headers[self._header] = self._key.reveal()
        yield request


class GoogleTokenAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` for an access token the caller supplied."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "GoogleTokenAuth(token=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request


def google_oauth_auth(auth_spec: dict[str, Any], credentials: Credentials) -> httpx.Auth:
    """The ``google-oauth`` auth hook (see the module docstring).

    ``auth_spec``: ``scopes`` (default :data:`CLOUD_PLATFORM_SCOPE`) and ``name`` (the header of an
    express-mode API key; without it a given key is an access token).  Raises :class:`ConfigError`
    before anything is sent when ADC is needed but google-auth is missing, or when the spec has a
    ``project`` setting and it is unset."""
    key = credentials.api_key
    settings = credentials.settings or {}
    explicit = credentials.source in ("argument", "client")
    if key is not None and (explicit or not settings.get("project")):
        header = auth_spec.get("name")
        return GoogleAPIKeyAuth(key, header) if header else GoogleTokenAuth(key)
    if "project" in settings and not settings.get("project"):
        alternative = "or pass an API key (Vertex AI express mode) as api_key=…" if auth_spec.get("name") else "or pass an access token as api_key=…"
        raise ConfigError(
            "Google Cloud OAuth needs a project: set GOOGLE_CLOUD_PROJECT or pass settings={'project': …} "
            f"({alternative}); the project is part of the request URL, so it is not read from the credentials"
        )
    _google_auth()  # fail now, before any event, when google-auth is missing
    scopes = tuple(auth_spec.get("scopes") or (CLOUD_PLATFORM_SCOPE,))
    return GoogleOAuth(_cache_for(scopes), _allowed_patterns(credentials.env))
