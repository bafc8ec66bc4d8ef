"""``aws-sigv4``: AWS Signature Version 4 for Amazon Bedrock, and Bedrock API keys.

Two layers (docs/RELIABILITY.md T8):

* a **pure signing core** (no I/O, no clock of its own): :func:`canonical_request`,
  :func:`string_to_sign`, :func:`signing_key`, :func:`sign_headers` and :func:`presign_query`, the
  algorithm of https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
  with botocore's conventions (``botocore/auth.py`` ``SigV4Auth``: the header deny-list, ``Trimall``
  of header values, duplicate headers joined with ``,``, query pairs sorted by encoded key then
  value, the path normalized and URI-encoded a second time for every service except S3).  It is
  checked against both copies of AWS's SigV4 test suite (tests/fixtures/sigv4);
* :class:`SigV4Auth`, an :class:`httpx.Auth` with ``requires_request_body = True``: it runs after
  the URL, headers and body are final and signs those exact bytes (the method, ``url.raw_path``,
  every header but the deny-listed ones, SHA-256 of the body).  The clock is injectable.

Credentials come from the environment mapping the client reads (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, optional ``AWS_SESSION_TOKEN``); failing that, from botocore's
credential chain (profiles, SSO, assume-role, container and instance roles) when the optional
``aws`` extra is installed (imported lazily; ``AWS_PROFILE`` from the same mapping picks the
profile); otherwise :class:`~specwire.ConfigError` says what to set.  Never from a spec or a
template context.  Every secret is a :class:`~specwire.redact.Secret` (``repr`` shows ``***``,
and the values are registered for redaction); the canonical request and string to sign are
never logged.

A Bedrock API key (``AWS_BEARER_TOKEN_BEDROCK``, which the spec declares as ``env.api_key``, or
``api_key=`` on the call) selects ``Authorization: Bearer <key>`` instead of SigV4, as botocore
does when that variable is set (``botocore/handlers.py`` ``_should_prefer_bearer_auth``;
https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html).

Both modes refuse a destination that is not the service's AWS endpoint for the signing region
over https: for ``service: bedrock``, ``bedrock-runtime[-fips].<region>.<AWS DNS suffix>`` and the
control plane ``bedrock[-fips].<region>.…`` (the endpoint rule sets of botocore's ``bedrock-runtime``
and ``bedrock`` service models, DNS suffixes from
``botocore/data/partitions.json``).  A third-party spec therefore cannot aim AWS credentials at
another host by changing ``base_url``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
import threading
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import httpx

from ..errors import ConfigError
from ..redact import Secret
from .credentials import Credentials

__all__ = [
    "ALGORITHM",
    "AWSCredentials",
    "BedrockBearerAuth",
    "SigV4Auth",
    "SignedRequest",
    "canonical_headers",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "endpoint_region",
    "presign_query",
    "sign_headers",
    "signing_key",
    "sigv4_auth",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

#: Headers never signed: botocore/auth.py SIGNED_HEADERS_BLACKLIST (hop-by-hop headers and ones a
#: proxy or the HTTP stack may rewrite), plus the Authorization header being produced.
UNSIGNED_HEADERS = frozenset(
    {
        "authorization", "baggage", "connection", "expect", "keep-alive", "proxy-authenticate",
        "proxy-authorization", "te", "traceparent", "tracestate", "trailer", "transfer-encoding",
        "upgrade", "user-agent", "x-amzn-trace-id",
    }
)

#: Endpoint host prefixes per signing service (botocore bedrock-runtime endpoint-rule-set-1.json:
#: ``https://bedrock-runtime[-fips].{Region}.{dnsSuffix | dualStackDnsSuffix}``; the control plane,
#: where ListFoundationModels lives, bedrock endpoint-rule-set-1.json: ``https://bedrock[-fips].{Region}.…``).
ENDPOINT_PREFIXES: Mapping[str, tuple[str, ...]] = {"bedrock": ("bedrock-runtime", "bedrock-runtime-fips", "bedrock", "bedrock-fips")}
#: DNS suffixes of the AWS partitions (botocore/data/partitions.json, dnsSuffix and dualStackDnsSuffix).
DNS_SUFFIXES = (
    "amazonaws.com", "api.aws", "amazonaws.com.cn", "api.amazonwebservices.com.cn", "amazonaws.eu",
    "api.amazonwebservices.eu", "c2s.ic.gov", "api.aws.ic.gov", "sc2s.sgov.gov", "api.aws.scloud",
    "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk", "csp.hci.ic.gov", "api.aws.hci.ic.gov",
)
_REGION = re.compile(r"^[a-z]{2,}(?:-[a-z0-9]+)+-\d+$")


# ============================================================================ pure core
@dataclass(frozen=True)
class AWSCredentials:
    """An access key pair and optional session token, each a :class:`Secret`."""

    access_key_id: Secret
    secret_access_key: Secret
    session_token: Secret | None = None

    @classmethod
    def of(cls, access_key_id: str, secret_access_key: str, session_token: str | None = None) -> AWSCredentials:
        return cls(Secret(access_key_id), Secret(secret_access_key), Secret(session_token) if session_token else None)

    def __repr__(self) -> str:
        return f"AWSCredentials(access_key_id=***, secret_access_key=***, session_token={'***' if self.session_token else None})"


@dataclass(frozen=True)
class SignedRequest:
    """What :func:`sign_headers` / :func:`presign_query` produce.  ``headers`` (header signing) are
    the headers to add to the request, ``query`` (query signing) the parameters to append in
    order.  ``canonical_request`` and ``string_to_sign`` are for tests only: never log them."""

    headers: dict[str, str]
    query: list[tuple[str, str]]
    canonical_request: str
    string_to_sign: str
    signature: str

    def __repr__(self) -> str:
        return f"SignedRequest(headers={sorted(self.headers)!r}, signature=***)"


def amz_date(now: _dt.datetime) -> str:
    """``20150830T123600Z`` (UTC)."""
    if now.tzinfo is not None:
        now = now.astimezone(_dt.UTC)
    return now.strftime("%Y%m%dT%H%M%SZ")


def _uri_encode(text: str, safe: str) -> str:
    return quote(text, safe=safe)  # UTF-8; letters, digits and -._ are always safe


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4 plus the collapsing of empty segments AWS requires (botocore
    ``utils.remove_dot_segments``)."""
    if not path:
        return "/"
    out: list[str] = []
    for seg in path.split("/"):
        if not seg or seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
        else:
            out.append(seg)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and out else ""
    return first + "/".join(out) + last or "/"


def canonical_uri(path: str, *, normalize: bool = True) -> str:
    """The CanonicalURI of a request path as it goes on the wire (percent-encoded or not).

    ``normalize`` (every service but S3): remove ``.``/``..`` and empty segments, then URI-encode
    the result; an already encoded path is thereby encoded twice (``%3A`` → ``%253A``), as AWS
    expects.  Without it (S3-style) the path is only URI-encoded."""
    if normalize:
        path = _remove_dot_segments(path)
    elif not path:
        path = "/"
    return _uri_encode(path, safe="/~")


def canonical_query(query: str) -> str:
    """The CanonicalQueryString of a raw query string: every ``name=value`` pair decoded, then
    URI-encoded (only ``A-Za-z0-9-_.~`` kept), sorted by encoded name then value."""
    pairs = []
    for piece in query.split("&") if query else ():
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((_uri_encode(unquote(name), safe="-_.~"), _uri_encode(unquote(value), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_headers(headers: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """``(CanonicalHeaders, SignedHeaders)`` of the headers to sign: names lower-cased and sorted,
    values trimmed with inner whitespace runs (folded lines included) collapsed to one space,
    repeated headers joined with ``,`` in their order."""
    merged: dict[str, list[str]] = {}
    for name, value in headers:
        merged.setdefault(name.strip().lower(), []).append(" ".join(value.split()))
    names = sorted(merged)
    return "".join(f"{n}:{','.join(merged[n])}\n" for n in names), ";".join(names)


def canonical_request(
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    payload_hash: str,
    *,
    normalize: bool = True,
) -> tuple[str, str]:
    """``(canonical request, signed headers)``."""
    canon_headers, signed = canonical_headers(headers)
    text = "\n".join([method.upper(), canonical_uri(path, normalize=normalize), canonical_query(query), canon_headers, signed, payload_hash])
    return text, signed


def credential_scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/aws4_request"


def string_to_sign(timestamp: str, scope: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, timestamp, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])


_KEY_CACHE: dict[tuple[str, str, str, str], bytes] = {}
_KEY_LOCK = threading.Lock()


def signing_key(secret_access_key: Secret, date: str, region: str, service: str) -> bytes:
    """The derived key ``HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")``,
    cached per secret, day, region and service."""
    cache_key = (hashlib.sha256(secret_access_key.reveal().encode("utf-8")).hexdigest(), date, region, service)
    key = _KEY_CACHE.get(cache_key)
    if key is None:
        key = ("AWS4" + secret_access_key.reveal()).encode("utf-8")
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        with _KEY_LOCK:
            if len(_KEY_CACHE) > 64:
                _KEY_CACHE.clear()
            _KEY_CACHE[cache_key] = key
    return key


def _signable(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, v) for n, v in headers if n.strip().lower() not in UNSIGNED_HEADERS]


def sign_headers(
    *,
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    credentials: AWSCredentials,
    region: str,
    service: str,
    now: _dt.datetime,
    normalize: bool = True,
    sign_body: bool = False,
    sign_session_token: bool = True,
) -> SignedRequest:
    """Header-based SigV4: the ``x-amz-date``, ``x-amz-security-token`` (with a session token),
    ``x-amz-content-sha256`` (``sign_body``) and ``authorization`` headers to set.  Pure.

    ``headers`` are the request's headers (``host`` included); an ``x-amz-date`` among them is
    replaced by the clock's.  ``sign_session_token=False`` adds the token after signing (the
    suite's ``post-sts-header-after`` case; never needed by AWS services today)."""
    timestamp = amz_date(now)
    payload_hash = hashlib.sha256(body).hexdigest()
    added: dict[str, str] = {"x-amz-date": timestamp}
    if sign_body:
        added["x-amz-content-sha256"] = payload_hash
    token = credentials.session_token.reveal() if credentials.session_token else None
    if token and sign_session_token:
        added["x-amz-security-token"] = token
    base = [(n, v) for n, v in _signable(headers) if n.strip().lower() not in added]
    canonical, signed = canonical_request(method, path, query, base + list(added.items()), payload_hash, normalize=normalize)
    scope = credential_scope(timestamp[:8], region, service)
    sts = string_to_sign(timestamp, scope, canonical)
    signature = hmac.new(signing_key(credentials.secret_access_key, timestamp[:8], region, service), sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if token and not sign_session_token:
        added["x-amz-security-token"] = token
    added["authorization"] = f"{ALGORITHM} Credential={credentials.access_key_id.reveal()}/{scope}, SignedHeaders={signed}, Signature={signature}"
    return SignedRequest(added, [], canonical, sts, signature)


def presign_query(
    *,
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    credentials: AWSCredentials,
    region: str,
    service: str,
    now: _dt.datetime,
    expires: int,
    normalize: bool = True,
    sign_session_token: bool = True,
) -> SignedRequest:
    """Query-string SigV4 (a presigned URL): the ``X-Amz-*`` parameters to append.  Pure.  Not
    used by Bedrock; kept so that the whole published suite is checked against the core."""
    timestamp = amz_date(now)
    scope = credential_scope(timestamp[:8], region, service)
    canon_headers = [(n, v) for n, v in _signable(headers) if n.strip().lower() != "x-amz-date"]
    _, signed = canonical_headers(canon_headers)
    params = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", f"{credentials.access_key_id.reveal()}/{scope}"),
        ("X-Amz-Date", timestamp),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", signed),
    ]
    token = credentials.session_token.reveal() if credentials.session_token else None
    if token and sign_session_token:
        params.append(("X-Amz-Security-Token", token))
    encoded = "&".join(f"{_uri_encode(k, '-_.~')}={_uri_encode(v, '-_.~')}" for k, v in params)
    full_query = f"{query}&{encoded}" if query else encoded
    canonical, _ = canonical_request(method, path, full_query, canon_headers, hashlib.sha256(body).hexdigest(), normalize=normalize)
    sts = string_to_sign(timestamp, scope, canonical)
    signature = hmac.new(signing_key(credentials.secret_access_key, timestamp[:8], region, service), sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if token and not sign_session_token:
        params.append(("X-Amz-Security-Token", token))
    params.append(("X-Amz-Signature", signature))
    return SignedRequest({}, params, canonical, sts, signature)


def endpoint_region(host: str, service: str) -> str | None:
    """The region of an AWS endpoint host of ``service`` (``bedrock-runtime.us-east-1.amazonaws.com``
    → ``us-east-1``), or ``None`` when the host is not one."""
    host = host.lower().rstrip(".")
    for prefix in ENDPOINT_PREFIXES.get(service, ()):
        if not host.startswith(prefix + "."):
            continue
        rest = host[len(prefix) + 1 :]
        region, _, suffix = rest.partition(".")
        if suffix in DNS_SUFFIXES and _REGION.match(region):
            return region
    return None


# ============================================================================ httpx wrappers
Clock = Callable[[], _dt.datetime]


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def _check_destination(request: httpx.Request, service: str, region: str | None) -> str:
    """docs/RELIABILITY.md T8: only the service's endpoint for the signing region, over https.  Returns
    the region to sign for (the endpoint's, when no region was configured)."""
    host = request.url.host
    if request.url.scheme != "https":
        raise ConfigError(f"refusing to send AWS credentials over {request.url.scheme}:// to {host} (https only)")
    found = endpoint_region(host, service)
    if found is None:
        patterns = " or ".join(f"{p}.<region>.amazonaws.com" for p in ENDPOINT_PREFIXES.get(service, ())) or f"a known endpoint of {service!r}"
        raise ConfigError(f"refusing to send AWS credentials to {host}: it is not an AWS {service} endpoint ({patterns})")
    if region is not None and found != region:
        raise ConfigError(f"refusing to sign for {host}: its region {found!r} differs from the signing region {region!r} (set AWS_REGION or settings={{'region': …}})")
    return found


class SigV4Auth(httpx.Auth):
    """Signs each request with SigV4 after it is final (see the module docstring).

    ``credentials`` is an :class:`AWSCredentials` or a zero-argument callable returning one
    (refreshable credentials from botocore's chain).  ``region`` ``None`` signs for the region of
    the endpoint the request goes to."""

    requires_request_body = True

    def __init__(
        self,
        credentials: AWSCredentials | Callable[[], AWSCredentials],
        *,
        region: str | None,
        service: str,
        clock: Clock | None = None,
    ) -> None:
        self._credentials = credentials
        self.region = region
        self.service = service
        self._clock = clock or _utcnow

    def __repr__(self) -> str:
        return f"SigV4Auth(service={self.service!r}, region={self.region!r}, credentials=***)"

    def _current(self) -> AWSCredentials:
        creds = self._credentials
        return creds if isinstance(creds, AWSCredentials) else creds()

    def sign(self, request: httpx.Request) -> None:
        region = _check_destination(request, self.service, self.region)
        raw = request.url.raw_path.decode("ascii")
        path, _, query = raw.partition("?")
        signed = sign_headers(
            method=request.method,
            path=path,
            query=query,
            headers=list(request.headers.items()),
            body=request.content,
            credentials=self._current(),
            region=region,
            service=self.service,
            now=self._clock(),
        )
        for name, value in signed.headers.items():
            request.headers[name] = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request


class BedrockBearerAuth(httpx.Auth):
    """``Authorization: Bearer <Bedrock API key>``, only towards the service's endpoint."""

    def __init__(self, key: Secret, *, region: str | None, service: str) -> None:
        self._key = key
        self.region = region
        self.service = service

    def __repr__(self) -> str:
        return f"BedrockBearerAuth(service={self.service!r}, key=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        _check_destination(request, self.service, self.region)
        request.headers["Authorization"] = f"Bearer {self._key.reveal()}"
        yield request


# ============================================================================ credentials
_MISSING = (
    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for "
    "temporary credentials), or a Bedrock API key in AWS_BEARER_TOKEN_BEDROCK, or install the 'aws' extra "
    "(pip install 'specwire[aws]') to use botocore's profiles, SSO and roles"
)
_sessions: dict[str | None, Any] = {}
_sessions_lock = threading.Lock()


def _env_credentials(env: Mapping[str, str]) -> AWSCredentials | None:
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if key_id and secret:
        return AWSCredentials.of(key_id, secret, env.get("AWS_SESSION_TOKEN") or None)
    if key_id or secret:
        missing = "AWS_SECRET_ACCESS_KEY" if key_id else "AWS_ACCESS_KEY_ID"
        raise ConfigError(f"incomplete AWS credentials in the environment: {missing} is not set")
    return None


def _botocore_credentials(env: Mapping[str, str]) -> Callable[[], AWSCredentials] | None:
    """botocore's credential chain without its environment provider (the environment was read
    above, from the client's mapping).  ``None`` when botocore is not installed."""
    try:
        import botocore.session  # pyright: ignore[reportMissingImports]  # the aws extra
        from botocore.exceptions import BotoCoreError  # pyright: ignore[reportMissingImports]  # the aws extra
    except ImportError:
        return None
    profile = env.get("AWS_PROFILE") or None
    try:
        with _sessions_lock:
            session = _sessions.get(profile)
            if session is None:
                session = botocore.session.Session(profile=profile)
                session.get_component("credential_provider").remove("env")  # a no-op when absent
                _sessions[profile] = session
        found = session.get_credentials()
    except BotoCoreError as exc:
        raise ConfigError(f"botocore could not resolve AWS credentials: {type(exc).__name__}") from None
    if found is None:
        raise ConfigError(_MISSING)

    def current() -> AWSCredentials:
        try:
            frozen = found.get_frozen_credentials()  # refreshes expiring SSO / role credentials
        except BotoCoreError as exc:
            raise ConfigError(f"botocore could not refresh AWS credentials: {type(exc).__name__}") from None
        return AWSCredentials.of(frozen.access_key, frozen.secret_key, frozen.token)

    current()  # fail now, at call preparation, rather than mid-request
    return current


def _region(auth_spec: Mapping[str, Any], credentials: Credentials) -> str | None:
    """The configured signing region (settings, else AWS_REGION / AWS_DEFAULT_REGION), or ``None``:
    then the endpoint's region is used (a caller that resolved no settings, such as ``specwire
    render``)."""
    region = (credentials.settings or {}).get("region")
    if not region:
        env = credentials.env or {}
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region is None or region == "":
        return None
    if not isinstance(region, str) or not _REGION.match(region):
        raise ConfigError(f"AWS region {region!r} is not valid: set AWS_REGION or pass settings={{'region': 'us-east-1'}}")
    return region


def sigv4_auth(auth_spec: dict[str, Any], credentials: Credentials, *, clock: Clock | None = None) -> httpx.Auth:
    """The ``aws-sigv4`` auth scheme (see the module docstring).  ``auth_spec['service']`` is the
    signing service (``bedrock``); the region is ``credentials.settings['region']`` (else the
    environment's, else the endpoint's).  ``clock`` fixes the signing time (tests).  Raises
    :class:`ConfigError` when no credentials are found."""
    service = auth_spec.get("service")
    if not isinstance(service, str) or not service:
        raise ConfigError("the aws-sigv4 auth scheme needs `service:` in the spec's auth block")
    if service not in ENDPOINT_PREFIXES:
        raise ConfigError(f"aws-sigv4: no known endpoint pattern for service {service!r} (known: {', '.join(sorted(ENDPOINT_PREFIXES))})")
    region = _region(auth_spec, credentials)
    if credentials.api_key is not None:
        return BedrockBearerAuth(credentials.api_key, region=region, service=service)
    env: Mapping[str, str] = credentials.env if credentials.env is not None else {}
    creds: AWSCredentials | Callable[[], AWSCredentials] | None = _env_credentials(env)
    if creds is None:
        creds = _botocore_credentials(env)
    if creds is None:
        raise ConfigError(_MISSING)
    return SigV4Auth(creds, region=region, service=service, clock=clock)


def _builds_offline(auth_spec: dict[str, Any], credentials: Credentials) -> bool:
    """Whether :func:`sigv4_auth` builds and applies its auth without network I/O: with a Bedrock
    API key or static credentials in the environment; botocore's chain may call STS, SSO or the
    instance metadata service (``specwire render`` asks before building the auth)."""
    env: Mapping[str, str] = credentials.env if credentials.env is not None else {}
    return credentials.api_key is not None or bool(env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"))


sigv4_auth.offline = _builds_offline  # type: ignore[attr-defined]
