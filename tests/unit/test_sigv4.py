"""The ``aws-sigv4`` auth hook against AWS's published SigV4 test vectors, and its safety rules.

Protects: the pure signing core (canonical request, string to sign, signature, Authorization
header) on every vector of both copies of AWS's suite in tests/fixtures/sigv4 (the botocore-vendored
``aws4_testsuite`` and aws-c-auth's current ``v4`` suite with its ``context.json``: normalization,
``sign_body``, session tokens, tokens added after signing, query-string signing); the httpx wrapper
signing the *final* request bytes with an injected clock (checked by re-deriving the signature from
what was sent); credential discovery (environment, botocore chain, ConfigError naming what to set);
bearer mode for Bedrock API keys; refusal of non-AWS or wrong-region hosts (docs/RELIABILITY.md T8); and
secrets kept out of reprs and errors (T7).  A golden replay cannot cover these: replays never sign.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pytest
from specwire.auth.credentials import Credentials
from specwire.auth.sigv4 import (
    AWSCredentials,
    BedrockBearerAuth,
    SigV4Auth,
    canonical_query,
    canonical_uri,
    endpoint_region,
    presign_query,
    sign_headers,
    signing_key,
    sigv4_auth,
)
from specwire.errors import ConfigError
from specwire.redact import Secret, redact_text

from tests.conftest import FIXTURES

SUITES = FIXTURES / "sigv4"
LEGACY = SUITES / "aws4_testsuite"
CURRENT = SUITES / "aws-c-auth-v4"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
WHEN = dt.datetime(2015, 8, 30, 12, 36, 0, tzinfo=dt.UTC)
LEGACY_TOKEN = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"


# ---------------------------------------------------------------------------- vector parsing
def parse_request(raw: str) -> tuple[str, str, str, list[tuple[str, str]], bytes]:
    """``(method, path, query, headers, body)`` of a suite's raw request text (folded header lines
    are joined to the header before them, as RFC 7230 obs-fold)."""
    head, _, body = raw.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]  # "/example space/" keeps its raw space
    path, _, query = target.partition("?")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
        elif line:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return method, path, query, headers, body.encode("utf-8")


def legacy_cases() -> list[Path]:
    return sorted(p.parent for p in LEGACY.rglob("*.req"))


def current_cases() -> list[Path]:
    return sorted(p for p in CURRENT.iterdir() if p.is_dir())


def test_every_vector_is_discovered() -> None:
    """The suites are complete copies: 34 legacy cases and 38 aws-c-auth cases (corpus README)."""
    assert len(legacy_cases()) == 34
    assert len(current_cases()) == 38
    for name in ("LICENSE", "NOTICE"):
        assert (LEGACY / name).is_file() and (CURRENT / name).is_file()


# ---------------------------------------------------------------------------- botocore-style suite
@pytest.mark.parametrize("case", legacy_cases(), ids=lambda p: str(p.relative_to(LEGACY)))
def test_aws4_testsuite_vector(case: Path) -> None:
    """Every vector of the botocore-vendored suite, including the four botocore itself skips
    (``get-space``, repeated query keys): canonical request, string to sign and Authorization."""
    name = case.name
    read = lambda ext: (case / f"{name}.{ext}").read_text(encoding="utf-8")
    method, path, query, headers, body = parse_request(read("req"))
    token = None
    sign_token = True
    if case.parent.name == "post-sts-token":
        token = next(line.split(":", 1)[1].strip() for line in read("sreq").splitlines() if line.lower().startswith("x-amz-security-token"))
        sign_token = name == "post-sts-header-before"
        headers = [(n, v) for n, v in headers if n.lower() != "x-amz-security-token"]
    elif name == "get-vanilla-with-session-token":
        token = LEGACY_TOKEN
    signed = sign_headers(
        method=method, path=path, query=query, headers=headers, body=body,
        credentials=AWSCredentials.of(ACCESS_KEY, SECRET_KEY, token),
        region="us-east-1", service="service", now=WHEN, sign_session_token=sign_token,
    )
    assert signed.canonical_request == read("creq")
    assert signed.string_to_sign == read("sts")
    assert signed.headers["authorization"] == read("authz")


# ---------------------------------------------------------------------------- aws-c-auth suite
def _context(case: Path) -> dict[str, Any]:
    return json.loads((case / "context.json").read_text(encoding="utf-8"))


def _creds(ctx: dict[str, Any]) -> AWSCredentials:
    c = ctx["credentials"]
    return AWSCredentials.of(c["access_key_id"], c["secret_access_key"], c.get("token"))


@pytest.mark.parametrize("case", current_cases(), ids=lambda p: p.name)
def test_aws_c_auth_header_vector(case: Path) -> None:
    """Header signing of every aws-c-auth vector under its context: ``normalize`` (the
    ``*-unnormalized`` S3-style paths), ``sign_body`` (``x-amz-content-sha256``), session tokens and
    ``omit_session_token`` (token added after signing)."""
    ctx = _context(case)
    read = lambda f: (case / f).read_text(encoding="utf-8")
    method, path, query, headers, body = parse_request(read("request.txt"))
    signed = sign_headers(
        method=method, path=path, query=query, headers=headers, body=body, credentials=_creds(ctx),
        region=ctx["region"], service=ctx["service"], now=dt.datetime.fromisoformat(ctx["timestamp"]),
        normalize=ctx["normalize"], sign_body=ctx["sign_body"], sign_session_token=not ctx.get("omit_session_token", False),
    )
    assert signed.canonical_request == read("header-canonical-request.txt")
    assert signed.string_to_sign == read("header-string-to-sign.txt")
    assert signed.signature == read("header-signature.txt").strip()
    expected_authz = next(line.split(":", 1)[1] for line in read("header-signed-request.txt").splitlines() if line.startswith("Authorization:"))
    assert signed.headers["authorization"] == expected_authz
    if ctx["credentials"].get("token"):
        assert signed.headers["x-amz-security-token"] == ctx["credentials"]["token"]


@pytest.mark.parametrize("case", current_cases(), ids=lambda p: p.name)
def test_aws_c_auth_query_vector(case: Path) -> None:
    """Query-string (presigned) signing of every aws-c-auth vector.  Bedrock never presigns; this
    keeps the core's query canonicalization honest against the published suite."""
    ctx = _context(case)
    read = lambda f: (case / f).read_text(encoding="utf-8")
    method, path, query, headers, body = parse_request(read("request.txt"))
    signed = presign_query(
        method=method, path=path, query=query, headers=headers, body=body, credentials=_creds(ctx),
        region=ctx["region"], service=ctx["service"], now=dt.datetime.fromisoformat(ctx["timestamp"]),
        expires=ctx["expiration_in_seconds"], normalize=ctx["normalize"], sign_session_token=not ctx.get("omit_session_token", False),
    )
    assert signed.canonical_request == read("query-canonical-request.txt")
    assert signed.string_to_sign == read("query-string-to-sign.txt")
    assert signed.signature == read("query-signature.txt").strip()
    params = dict(signed.query)
    target = read("query-signed-request.txt").split("\n", 1)[0]
    assert f"X-Amz-Signature={params['X-Amz-Signature']}" in target


# ---------------------------------------------------------------------------- core details
def test_canonical_uri_double_encodes_a_bedrock_model_id() -> None:
    """Bedrock model ids carry ':' (``…-v1:0``), sent as ``%3A`` in the path; like botocore for every
    service but S3, the canonical URI encodes the encoded path again."""
    assert canonical_uri("/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse") == "/model/us.anthropic.claude-sonnet-4-20250514-v1%253A0/converse"
    assert canonical_uri("") == "/"
    assert canonical_uri("/a/./b/../c//d/") == "/a/c/d/"
    assert canonical_uri("//a//", normalize=False) == "//a//"


def test_canonical_query_decodes_then_encodes() -> None:
    assert canonical_query("b=2&a=x+y&a=%41&c") == "a=%41&a=x%2By&b=2&c=".replace("%41", "A")
    assert canonical_query("") == ""


def test_signing_key_matches_the_documented_derivation() -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    (kSigning = HMAC chain over date, region, service, "aws4_request")."""
    k = ("AWS4" + SECRET_KEY).encode()
    for part in ("20150830", "us-east-1", "iam", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    assert signing_key(Secret(SECRET_KEY), "20150830", "us-east-1", "iam") == k


def test_endpoint_region() -> None:
    assert endpoint_region("bedrock-runtime.us-east-1.amazonaws.com", "bedrock") == "us-east-1"
    assert endpoint_region("bedrock-runtime-fips.us-gov-west-1.amazonaws.com", "bedrock") == "us-gov-west-1"
    assert endpoint_region("bedrock-runtime.cn-north-1.amazonaws.com.cn", "bedrock") == "cn-north-1"
    assert endpoint_region("bedrock-runtime.eu-west-1.api.aws", "bedrock") == "eu-west-1"
    assert endpoint_region("bedrock.us-east-1.amazonaws.com", "bedrock") == "us-east-1"  # the control plane (ListFoundationModels)
    for host in ("evil.example", "bedrock-runtime.us-east-1.amazonaws.com.evil.example", "bedrock-runtime.x.s3-website-us-east-1.amazonaws.com",
                 "bedrock.x.s3-website-us-east-1.amazonaws.com", "bedrock-runtime.us-east-1.evil.com", "xbedrock-runtime.us-east-1.amazonaws.com"):
        assert endpoint_region(host, "bedrock") is None, host
    assert endpoint_region("bedrock-runtime.us-east-1.amazonaws.com", "s3") is None


# ---------------------------------------------------------------------------- the httpx wrapper
URL = "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse"


def _send(auth: httpx.Auth, url: str = URL, body: bytes = b'{"messages":[]}') -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        client.post(url, content=body, headers={"content-type": "application/json"}, auth=auth)
    return seen[0]


def verify(request: httpx.Request, secret: str, region: str = "us-east-1", service: str = "bedrock") -> None:
    """Recompute the signature of a sent request from scratch, from what went on the wire."""
    authz = request.headers["authorization"]
    assert authz.startswith("AWS4-HMAC-SHA256 Credential=")
    fields = dict(part.strip().split("=", 1) for part in authz[len("AWS4-HMAC-SHA256 "):].split(","))
    signed_names = fields["SignedHeaders"].split(";")
    canon_headers = "".join(f"{n}:{' '.join(request.headers[n].split())}\n" for n in signed_names)
    path, _, query = request.url.raw_path.decode().partition("?")
    canonical = "\n".join(["POST", canonical_uri(path), canonical_query(query), canon_headers, fields["SignedHeaders"], hashlib.sha256(request.content).hexdigest()])
    date = request.headers["x-amz-date"]
    scope = f"{date[:8]}/{region}/{service}/aws4_request"
    assert fields["Credential"].endswith("/" + scope)
    sts = "\n".join(["AWS4-HMAC-SHA256", date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    assert fields["Signature"] == hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()


def test_wrapper_signs_the_final_request_with_the_injected_clock() -> None:
    auth = SigV4Auth(AWSCredentials.of(ACCESS_KEY, SECRET_KEY), region="us-east-1", service="bedrock", clock=lambda: WHEN)
    sent = _send(auth)
    assert sent.headers["x-amz-date"] == "20150830T123600Z"
    assert "x-amz-security-token" not in sent.headers
    signed = sent.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "content-type", "content-length", "x-amz-date"} <= set(signed)
    assert "user-agent" not in signed and "connection" not in signed
    assert sent.url.raw_path.startswith(b"/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/")  # httpx keeps %3A
    verify(sent, SECRET_KEY)


def test_wrapper_session_token_is_sent_and_signed() -> None:
    auth = SigV4Auth(AWSCredentials.of(ACCESS_KEY, SECRET_KEY, "FQoGZXIvYXdzEXAMPLETOKEN"), region="us-east-1", service="bedrock", clock=lambda: WHEN)
    sent = _send(auth)
    assert sent.headers["x-amz-security-token"] == "FQoGZXIvYXdzEXAMPLETOKEN"
    assert "x-amz-security-token" in sent.headers["authorization"]
    verify(sent, SECRET_KEY)


def test_wrapper_refreshes_callable_credentials_per_request() -> None:
    calls = []

    def current() -> AWSCredentials:
        calls.append(1)
        return AWSCredentials.of(ACCESS_KEY, SECRET_KEY)

    auth = SigV4Auth(current, region="us-east-1", service="bedrock", clock=lambda: WHEN)
    _send(auth)
    _send(auth)
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://evil.example/model/x/converse", "not an AWS bedrock endpoint"),
        ("https://bedrock-runtime.us-east-1.amazonaws.com.evil.example/model/x/converse", "not an AWS bedrock endpoint"),
        ("http://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse", "https only"),
        ("https://bedrock-runtime.eu-west-1.amazonaws.com/model/x/converse", "differs from the signing region"),
    ],
)
def test_wrapper_refuses_other_hosts(url: str, fragment: str) -> None:
    """docs/RELIABILITY.md T8: nothing is sent, and the error names the reason without any secret."""
    for auth in (
        SigV4Auth(AWSCredentials.of(ACCESS_KEY, SECRET_KEY, "TOKENVALUE1234"), region="us-east-1", service="bedrock", clock=lambda: WHEN),
        BedrockBearerAuth(Secret("ABSKbedrockapikeyvalue"), region="us-east-1", service="bedrock"),
    ):
        with pytest.raises(ConfigError, match=fragment) as info:
            _send(auth, url)
        text = str(info.value) + repr(info.value)
        for secret in (SECRET_KEY, "TOKENVALUE1234", "ABSKbedrockapikeyvalue"):
            assert secret not in text


def test_bearer_mode_sends_the_key_only_as_bearer() -> None:
    sent = _send(BedrockBearerAuth(Secret("ABSKbedrockapikeyvalue"), region="us-east-1", service="bedrock"))
    assert sent.headers["authorization"] == "Bearer ABSKbedrockapikeyvalue"
    assert "x-amz-date" not in sent.headers


# ---------------------------------------------------------------------------- the factory
def _factory(env: dict[str, str], *, api_key: str | None = None, settings: dict[str, Any] | None = None) -> httpx.Auth:
    creds = Credentials(api_key=Secret(api_key) if api_key else None, settings={"region": "us-east-1"} if settings is None else settings, env=env)
    return sigv4_auth({"scheme": "aws-sigv4", "service": "bedrock"}, creds, clock=lambda: WHEN)


@pytest.fixture
def no_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import botocore`` fail, as without the ``aws`` extra."""
    monkeypatch.setitem(sys.modules, "botocore", None)
    monkeypatch.setitem(sys.modules, "botocore.session", None)


def test_factory_reads_the_environment_mapping(no_botocore: None) -> None:
    auth = _factory({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_SESSION_TOKEN": "SESSIONTOKEN42"})
    assert isinstance(auth, SigV4Auth)
    sent = _send(auth)
    assert sent.headers["x-amz-security-token"] == "SESSIONTOKEN42"
    verify(sent, SECRET_KEY)


def test_factory_prefers_a_bedrock_api_key(no_botocore: None) -> None:
    """botocore/handlers.py ``_should_prefer_bearer_auth``: with AWS_BEARER_TOKEN_BEDROCK set,
    bearer auth wins over SigV4 credentials."""
    auth = _factory({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}, api_key="ABSKkeyvalue")
    assert isinstance(auth, BedrockBearerAuth)


def test_factory_without_credentials_says_what_to_set(no_botocore: None) -> None:
    with pytest.raises(ConfigError) as info:
        _factory({})
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_BEARER_TOKEN_BEDROCK", "specwire[aws]"):
        assert name in str(info.value)
    with pytest.raises(ConfigError, match="AWS_SECRET_ACCESS_KEY is not set"):
        _factory({"AWS_ACCESS_KEY_ID": ACCESS_KEY})


def test_factory_region_comes_from_settings_or_environment(no_botocore: None) -> None:
    env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": "eu-west-3"}
    assert _factory(env, settings={}).region == "eu-west-3"  # type: ignore[attr-defined]
    assert _factory(env).region == "us-east-1"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="region"):
        _factory(env, settings={"region": "us-east-1.evil.example"})
    with pytest.raises(ConfigError, match="service"):
        sigv4_auth({"scheme": "aws-sigv4"}, Credentials(settings={"region": "us-east-1"}, env=env))


def test_factory_without_a_region_signs_for_the_endpoints(no_botocore: None) -> None:
    """A caller that resolved no settings (``specwire render``) still signs correctly: the region is
    the endpoint's, which a configured region would have to equal anyway."""
    auth = _factory({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}, settings={})
    assert auth.region is None  # type: ignore[attr-defined]
    sent = _send(auth, "https://bedrock-runtime.ap-northeast-1.amazonaws.com/model/x/converse")
    verify(sent, SECRET_KEY, region="ap-northeast-1")
    with pytest.raises(ConfigError, match="not an AWS bedrock endpoint"):
        _send(auth, "https://evil.example/model/x/converse")


def _fake_botocore(monkeypatch: pytest.MonkeyPatch, found: Any) -> dict[str, Any]:
    """A stand-in for botocore's session API (the ``aws`` extra is not a test dependency)."""
    record: dict[str, Any] = {"removed": []}

    class BotoCoreError(Exception):
        pass

    class Resolver:
        def get_provider(self, name: str) -> object:
            return object()

        def remove(self, name: str) -> None:
            record["removed"].append(name)

    class Session:
        def __init__(self, profile: str | None = None) -> None:
            record["profile"] = profile

        def get_component(self, name: str) -> Resolver:
            return Resolver()

        def get_credentials(self) -> Any:
            return found

    session_mod = types.ModuleType("botocore.session")
    session_mod.Session = Session  # type: ignore[attr-defined]
    exc_mod = types.ModuleType("botocore.exceptions")
    exc_mod.BotoCoreError = BotoCoreError  # type: ignore[attr-defined]
    pkg = types.ModuleType("botocore")
    pkg.session = session_mod  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "botocore", pkg)
    monkeypatch.setitem(sys.modules, "botocore.session", session_mod)
    monkeypatch.setitem(sys.modules, "botocore.exceptions", exc_mod)
    from specwire.auth import sigv4

    monkeypatch.setattr(sigv4, "_sessions", {})
    return record


def test_factory_falls_back_to_the_botocore_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = types.SimpleNamespace(access_key=ACCESS_KEY, secret_key=SECRET_KEY, token="ROLETOKEN99")
    record = _fake_botocore(monkeypatch, types.SimpleNamespace(get_frozen_credentials=lambda: frozen))
    auth = _factory({"AWS_PROFILE": "dev"})
    assert record == {"removed": ["env"], "profile": "dev"}  # the chain minus its own os.environ reader
    sent = _send(auth)
    assert sent.headers["x-amz-security-token"] == "ROLETOKEN99"
    verify(sent, SECRET_KEY)


def test_factory_botocore_chain_finding_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_botocore(monkeypatch, None)
    with pytest.raises(ConfigError, match="AWS_ACCESS_KEY_ID"):
        _factory({})


def test_secrets_stay_out_of_reprs_and_text(no_botocore: None) -> None:
    """docs/RELIABILITY.md T7: reprs show ***, and the values are registered for redaction."""
    auth = _factory({"AWS_ACCESS_KEY_ID": "AKIACANARYKEYID0001", "AWS_SECRET_ACCESS_KEY": "canarySecretKey/0001", "AWS_SESSION_TOKEN": "canarySessionToken0001"})
    creds = AWSCredentials.of("AKIACANARYKEYID0001", "canarySecretKey/0001", "canarySessionToken0001")
    signed = sign_headers(method="POST", path="/", query="", headers=[("host", "h")], body=b"", credentials=creds, region="us-east-1", service="bedrock", now=WHEN)
    for text in (repr(auth), repr(creds), repr(signed), str(creds)):
        for canary in ("AKIACANARYKEYID0001", "canarySecretKey/0001", "canarySessionToken0001", signed.signature):
            assert canary not in text
    leaked = "key AKIACANARYKEYID0001 secret canarySecretKey/0001 token canarySessionToken0001"
    assert "CANARY" not in redact_text(leaked).upper().replace("***", "")
