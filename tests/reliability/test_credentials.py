"""Credentials: bound to their hosts, never redirected, never shown (docs/RELIABILITY.md T4, T6, T7, T8
and the credential rows of its section 4 checklist), sync and async, on loopback.

What this protects: an API key read from ``OPENAI_API_KEY`` must not be sent to a host a third-party
spec or a per-call ``base_url`` chose (CVE-2024-6587), must not follow a redirect to another origin
(openai#3516), and must never appear in a log record (httpx and httpcore loggers included, at
DEBUG), an exception's ``str``/``repr``/formatted traceback/``__cause__``/``__context__`` chain, a
response or request repr, or the CLI's output, on any error path of this suite
(tests/reliability/faults.py), for every auth scheme the loopback server can exercise: bearer
(OpenAI, Anthropic, Bedrock API keys), ``x-goog-api-key`` and ``api-key`` headers, the ``key=``
query parameter, an Entra ID token (``azure-ad``), a Vertex access token (``google-oauth``), and
AWS SigV4 (through an httpx mock transport, because the SigV4 hook only signs for AWS hosts).

Provider facts: Gemini's key may travel as ``?key=`` (https://ai.google.dev/gemini-api/docs/api-key);
Azure OpenAI's ``api-key`` header (openai 3.54.0 ``lib/azure.py``); SigV4 per
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html , checked
against botocore's vendored test suite (tests/fixtures/sigv4/aws4_testsuite).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import socket
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import specwire.auth.sigv4 as sigv4
from specwire import APIStatusError, ConfigError, RedirectError, SpecwireError
from specwire.cli import main as cli_main
from specwire.registry import SpecRegistry
from tests.hostile.server import HostileServer, Reply, json_reply, openai_ok
from tests.reliability.faults import FAMILY, FAULTS, fault_driver, run_fault
from tests.reliability.helpers import (
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN,
    CANARY_MARK,
    CANARY_TAILS,
    KEYS,
    MODELS,
    Driver,
    Outcome,
    expect_error,
    make_client,
    spec_file,
)

ROOT = Path(__file__).resolve().parents[2]
GPT = MODELS["openai"]


def env_key_client(server: HostileServer | None = None, folders: tuple[Path, ...] = (), **kwargs: Any) -> Any:
    """A client with no key of its own: keys come from the (monkeypatched) environment."""
    registry = SpecRegistry([str(f) for f in folders], user_config=False) if folders else None
    return make_client(None, "openai", key=False, registry=registry, **kwargs)


# ---------------------------------------------------------------------------- credential_host_binding
def test_credential_host_binding(drive: Any, hostile: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A third-party spec keeps ``env.api_key: OPENAI_API_KEY`` and sets ``base_url`` to another host
    (the loopback server here, ``https://evil.test`` in the hostile corpus): ``ConfigError`` before
    any connection (the server sees 0 connections, 0 requests); the key is bound to api.openai.com.
    With the key given explicitly on the call, the same spec may be used (CVE-2024-6587;
    litellm#37053)."""
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["openai"])
    folder = tmp_path / "third-party"
    spec_file(folder, "evil-openai", f"spec_version: 1\nprovider: evil-openai\nextends: openai\nbase_url: {hostile.url('/v1')}\nenv:\n  api_key: OPENAI_API_KEY\n")
    spec_file(folder, "evil-anthropic", "spec_version: 1\nprovider: evil-anthropic\nextends: anthropic\nbase_url: https://evil.test/v1\nenv:\n  api_key: ANTHROPIC_API_KEY\n")
    spec_file(folder, "credential-foreign-host", (ROOT / "tests" / "hostile_specs" / "credential-foreign-host.yaml").read_text())
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEYS["anthropic"])
    hostile.always(openai_ok(False))
    d = drive(client=env_key_client(folders=(folder,)))
    for ref in ("evil-openai:gpt-5.5", "credential-foreign-host:gpt-5.5", "evil-anthropic:claude-sonnet-5-5"):
        out = d.complete(ref, catch=(Exception,))
        err = expect_error(out, ConfigError)
        assert "bound to" in str(err) and KEYS["openai"] not in str(err)
    assert hostile.count == 0 and hostile.connections_opened == 0
    out = d.complete("evil-openai:gpt-5.5", api_key=KEYS["openai"])
    assert out.error is None and hostile.count == 1, out.describe()


# ---------------------------------------------------------------------------- request_base_url_override_checked
def test_request_base_url_override_checked(drive: Any, hostile: HostileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A per-call ``base_url`` to an unbound host (the loopback server), to the cloud metadata address
    ``169.254.169.254`` (http and https) or to a private address: refused with ``ConfigError`` before
    connecting, for a key from the environment and for a key from ``Client(api_keys=…)``; allowed
    with ``api_key=`` on the same call or a trusted host (litellm#24952)."""
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["openai"])
    hostile.always(openai_ok(False))
    from_env = drive(client=env_key_client())
    from_client = drive(hostile, "openai", base_urls={"openai": "https://api.openai.com/v1"})
    targets = [hostile.url("/v1"), "http://169.254.169.254/latest/meta-data", "https://169.254.169.254/v1", "https://10.0.0.7/v1", "https://[fd00::1]/v1"]
    for d in (from_env, from_client):
        for target in targets:
            out = d.complete(GPT, base_url=target, catch=(Exception,))
            assert isinstance(out.error, ConfigError), f"{target}: {out.describe()}"
    assert hostile.count == 0 and hostile.connections_opened == 0
    out = from_env.complete(GPT, base_url=hostile.url("/v1"), api_key=KEYS["openai"])
    assert out.error is None and hostile.count == 1
    trusted = drive(client=env_key_client(trusted_hosts=["127.0.0.1"]))
    assert trusted.complete(GPT, base_url=hostile.url("/v1")).error is None and hostile.count == 2
    # metadata and private ranges need an explicit opt-in even with an explicit key (T4 d).  Should
    # the engine try to connect, the attempt is refused locally (no network, no unclosed socket).
    real_connect = socket.socket.connect

    def refuse_non_loopback(sock: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise ConnectionRefusedError(111, "refused by the test (no network)")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", refuse_non_loopback)
    out = from_env.complete(GPT, base_url="https://169.254.169.254/v1", api_key=KEYS["openai"], max_retries=0, catch=(Exception,))
    assert isinstance(out.error, ConfigError), (
        "ENGINE GAP: with api_key= on the call, a per-call base_url to the link-local metadata address "
        f"169.254.169.254 is attempted (docs/RELIABILITY.md T4 d: deny link-local, metadata and private ranges unless opted in); got {out.describe()}"
    )


# ---------------------------------------------------------------------------- redirect_not_followed
@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_redirect_not_followed(drive: Any, hostile: HostileServer, sink: HostileServer, status: int, stream: bool) -> None:
    """A 3xx to another origin (the sink records whatever reaches it): ``RedirectError`` (an
    ``APIStatusError`` with the status), the message names the redacted ``Location``, the sink
    receives nothing, no retry (openai#3516)."""
    location = sink.url(f"/steal?key={KEYS['openai']}&x=1")
    hostile.always(Reply(status, (("location", location), ("content-type", "application/json")), b"{}"))
    d = drive(hostile)
    out = d.call(stream, GPT)
    err = expect_error(out, RedirectError)
    assert isinstance(err, APIStatusError) and err.status == status
    assert f"127.0.0.1:{sink.port}/steal" in str(err) and "key=***" in str(err)
    assert KEYS["openai"] not in str(err) + repr(err) + repr(err.headers)
    assert sink.count == 0 and sink.connections_opened == 0
    assert hostile.count == 1
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- gemini_key_in_url_redacted
def test_gemini_key_in_url_redacted(drive: Any, hostile: HostileServer) -> None:
    """A spec using ``?key=`` auth (tests/reliability/specs/gemini-query.yaml); the server answers
    400 echoing the URL it got: the error message shows ``key=***``, never the key (litellm#24902)."""
    d = drive(hostile, "gemini-query")

    def echo(stream: bool) -> None:
        hostile.always(json_reply(400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT", "details": [{"url": "placeholder"}]}}))
        out = d.call(stream, MODELS["gemini-query"])
        sent = hostile.requests[-1]
        assert f"key={KEYS['gemini-query']}" in sent.query, "the query scheme must put the key in the URL"
        hostile.always(json_reply(400, {"error": {"code": 400, "message": f"API key not valid for {sent.target}", "status": "INVALID_ARGUMENT"}}))
        out = d.call(stream, MODELS["gemini-query"])
        err = expect_error(out, APIStatusError)
        assert "key=***" in str(err), str(err)
        for text in (str(err), repr(err), json.dumps(err.body), "".join(traceback.format_exception(err))):
            assert KEYS["gemini-query"] not in text and CANARY_MARK not in text

    echo(False)
    echo(True)


# ---------------------------------------------------------------------------- sigv4_fixture
def _ref_signature(method: str, raw_path: str, query: str, headers: list[tuple[str, str]], signed: list[str], body: bytes, *, key_id: str, secret: str, region: str, service: str, amz_date: str) -> str:
    """An independent SigV4 (the AWS documentation's algorithm, written for this test)."""
    canonical_uri = quote(raw_path, safe="/-_.~")
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, _, v in (p.partition("=") for p in query.split("&") if p))
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(" ".join(value.split()))
    canonical_headers = "".join(f"{name}:{','.join(values[name])}\n" for name in signed)
    canonical = "\n".join([method, canonical_uri, canonical_query, canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={';'.join(signed)}, Signature={signature}"


def _vector(name: str) -> tuple[str, str]:
    folder = ROOT / "tests" / "fixtures" / "sigv4" / "aws4_testsuite" / name
    return (folder / f"{name}.req").read_text(), (folder / f"{name}.authz").read_text().strip()


@pytest.mark.parametrize("vector", ["get-vanilla", "post-x-www-form-urlencoded", "get-vanilla-query-order-key-case"])
def test_sigv4_reference_matches_botocore_vectors(vector: str) -> None:
    """Not a row of its own: the test's reference signer reproduces botocore's vendored vectors, so
    the comparison in ``test_sigv4_fixture`` is against a known-good implementation."""
    req, authz = _vector(vector)
    head, _, body = req.partition("\n\n")
    lines = head.split("\n")
    method, target, _ = lines[0].split(" ")
    headers = [(n, v) for n, _, v in (line.partition(":") for line in lines[1:])]
    path, _, query = target.partition("?")
    signed = sorted({n.lower() for n, _ in headers})
    got = _ref_signature(method, path, query, headers, signed, body.encode(), key_id="AKIDEXAMPLE", secret="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region="us-east-1", service="service", amz_date="20150830T123600Z")
    assert got == authz


def test_sigv4_fixture(flavor: str, monkeypatch: pytest.MonkeyPatch, logs: Any) -> None:
    """Bedrock Converse signed by the ``aws-sigv4`` hook through the public client with a fixed clock
    (20150830T123600Z, the suite's) and canary AWS credentials: the ``Authorization`` header sent
    is byte-identical to the reference signature over the headers it names (host, x-amz-date,
    x-amz-security-token, content-type included; user-agent excluded), the model id ``…-v1:0`` is
    double-encoded in the canonical URI as botocore does, and neither the secret key nor the
    session token appears in the request plan, any log record, or the error of a 403
    ``SignatureDoesNotMatch`` answer (botocore signer; aws/mcp-proxy#166)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_SESSION_TOKEN)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setattr(sigv4, "_utcnow", lambda: dt.datetime(2015, 8, 30, 12, 36, 0, tzinfo=dt.timezone.utc))
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(200, json={"output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}}, "stopReason": "end_turn", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}})
        return httpx.Response(403, headers={"x-amzn-errortype": "InvalidSignatureException"}, json={"message": f"The request signature we calculated does not match the signature you provided. {request.headers.get('authorization')}"})

    mock = httpx.MockTransport(handler)
    client = make_client(None, "bedrock", key=False, registry=SpecRegistry([], user_config=False), transport=mock, async_transport=mock)
    d = Driver(flavor, client)
    try:
        model = "bedrock:anthropic.claude-3-haiku-20240307-v1:0"
        plan = client.build(model, "hi")
        assert AWS_SECRET_ACCESS_KEY not in repr(plan) + json.dumps(plan.redacted())
        out = d.complete(model)
        assert out.error is None and out.response.text == "ok", out.describe()
        request = seen[0]
        sent = request.headers["authorization"]
        signed = sent.partition("SignedHeaders=")[2].partition(",")[0].split(";")
        assert {"host", "x-amz-date", "x-amz-security-token", "content-type"} <= set(signed) and "user-agent" not in signed
        assert request.headers["x-amz-date"] == "20150830T123600Z"
        assert request.url.raw_path.decode().startswith("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse")
        expected = _ref_signature(
            request.method, request.url.raw_path.decode().partition("?")[0], request.url.query.decode(), list(request.headers.items()), signed, request.content,
            key_id=AWS_ACCESS_KEY_ID, secret=AWS_SECRET_ACCESS_KEY, region="us-east-1", service="bedrock", amz_date="20150830T123600Z",
        )
        assert sent == expected
        out = d.complete(model)
        err = expect_error(out, APIStatusError)
        shown = str(err) + repr(err) + "".join(traceback.format_exception(err)) + repr(vars(err))
        for secret in (AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ACCESS_KEY_ID):
            assert secret not in shown
    finally:
        d.close()
    everything = "\n".join(logs.texts())
    for secret in (AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN):
        assert secret not in everything


# ---------------------------------------------------------------------------- canary_secret_scan
SCHEMES = {
    "bearer-openai": "openai",
    "bearer-anthropic": "anthropic",
    "header-x-goog-api-key": "gemini",
    "query-key": "gemini-query",
    "header-api-key-azure": "azure-openai",
    "azure-ad-token": "azure-openai-entra",
    "google-oauth-token": "vertex-anthropic",
    "bearer-bedrock-api-key": "bedrock-loopback",
}
SECRETS = [*KEYS.values(), AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ACCESS_KEY_ID]
HEAVY = {"gzip-bomb", "oversized-body", "json-depth-bomb"}
SLOW = {"first-event-timeout", "idle-timeout-with-pings", "read-timeout-no-headers", "total-deadline", "connect-timeout"}
#: Schemes that run the whole catalog; the others skip the bombs and the timing faults, whose error
#: paths do not depend on where the key travels (the query scheme, whose key is in every URL, and
#: one header scheme run everything).
FULL = {"bearer-openai", "query-key"}


def scan(texts: dict[str, str]) -> list[str]:
    """Where a canary shows up (with the canary masked in the report)."""
    found = []
    for where, text in texts.items():
        hit = next((s for s in SECRETS if s in text), None) or next((t for t in CANARY_TAILS if t in text), None)
        if hit is None and CANARY_MARK in text:
            hit = CANARY_MARK
        if hit is not None:
            i = text.index(hit)
            excerpt = re.sub(r"[^\s'\"&=]*CANARY[^\s'\"&]*", "<CANARY KEY>", text[max(0, i - 120) : i + len(hit) + 40])
            found.append(f"{where}: …{excerpt}…")
    return found


def visible(out: Outcome, driver: Driver | None = None) -> dict[str, str]:
    """Everything a caller (or an error tracker) can see of one call."""
    texts: dict[str, str] = {}
    err = out.error
    if err is not None:
        texts["str(error)"] = str(err)
        texts["repr(error)"] = repr(err)
        texts["traceback"] = "".join(traceback.format_exception(err))
        seen: set[int] = set()
        e: BaseException | None = err
        depth = 0
        while e is not None and id(e) not in seen:
            seen.add(id(e))
            texts[f"chain[{depth}].args"] = repr(e.args)
            texts[f"chain[{depth}].vars"] = repr({k: v for k, v in vars(e).items()})
            e = e.__cause__ or e.__context__
            depth += 1
    for i, event in enumerate(out.events):
        texts[f"event[{i}]"] = repr(event)
    for name, value in (("partial", out.partial), ("response", out.response)):
        if value is not None:
            texts[name] = repr(value) + value.model_dump_json()
    if out.stream is not None:
        texts["repr(stream)"] = repr(out.stream)
    if driver is not None:
        texts["repr(client)"] = repr(driver.client)
    return texts


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_canary_secret_scan(drive: Any, hostile: HostileServer, sink: HostileServer, scheme: str, logs: Any, request: pytest.FixtureRequest) -> None:
    """Every error path of tests/reliability/faults.py (HTTP errors echoing the key in the body, a
    redirect whose ``Location`` carries it, resets, timeouts, malformed, truncated and bomb bodies,
    in-band errors echoing it, refused and black-holed connections) with a canary key for this auth
    scheme: the canary appears in no log record of any logger at DEBUG (httpx and httpcore
    included), no exception ``str``/``repr``/formatted traceback/``__cause__``/``__context__``
    chain, no event, partial response, stream or client repr (LiteLLM PR #23667, #39964;
    botocore#2626).  SigV4 keys are scanned by ``test_sigv4_fixture``; CLI output by
    ``test_canary_secret_scan_cli``."""
    provider = SCHEMES[scheme]
    refused = request.getfixturevalue("refused")
    hole = request.getfixturevalue("hole")
    leaks: list[str] = []
    family = FAMILY[provider]
    for fault in FAULTS:
        if (fault.name in HEAVY or fault.name in SLOW) and scheme not in FULL:
            continue
        if fault.stream is False and family == "bedrock" and fault.name.startswith("gzip"):
            continue
        d = fault_driver(fault, drive, (provider,), server=hostile, refused_port=refused, hole_port=hole)
        out = run_fault(fault, provider, d, server=hostile, sink_url=sink.url())
        assert isinstance(out.error, SpecwireError), f"{fault.name}: {out.describe()}"
        leaks += [f"[{fault.name}] {leak}" for leak in scan(visible(out, d))]
        d.close()
    logging.getLogger("specwire.tests").debug("scan done")
    leaks += [f"[log] {leak}" for leak in scan({f"log[{i}]": t for i, t in enumerate(logs.texts())})]
    assert sink.count == 0, "a redirect reached the other origin"
    assert not leaks, f"{scheme}: the canary key leaked in {len(leaks)} place(s):\n  " + "\n  ".join(dict.fromkeys(leaks))


def test_canary_secret_scan_cli(hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], logs: Any, tmp_path: Path) -> None:
    """The CLI on the same error paths (``specwire chat`` with keys from the environment, streamed
    and not, against 401-echo, in-band-echo, malformed-echo, redirect and reset faults; ``specwire
    render`` of a query-key spec): the canary never reaches stdout, stderr or a log record.  (The
    CLI is synchronous only.)"""
    from tests.reliability.faults import Ctx

    monkeypatch.setenv("OPENAI_API_KEY", KEYS["openai"])
    monkeypatch.setenv("OPENAI_BASE_URL", hostile.url("/v1"))
    monkeypatch.setenv("GEMINI_API_KEY", KEYS["gemini-query"])
    specs = str(Path(__file__).resolve().parent / "specs")
    outputs: dict[str, str] = {}
    for fault in FAULTS:
        if fault.target != "server" or fault.name in HEAVY or "timeout" in fault.name or "deadline" in fault.name:
            continue
        hostile.script(*fault.script(Ctx("openai", KEYS["openai"], hostile.url())))
        args = ["chat", GPT, "hi"] + ([] if fault.stream else ["--no-stream"])
        code = cli_main(args)
        captured = capsys.readouterr()
        outputs[f"{fault.name} stdout"] = captured.out
        outputs[f"{fault.name} stderr"] = captured.err
        assert code != 0, f"{fault.name}: the CLI reported success: {captured.out[-300:]}"
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}))
    code = cli_main(["--spec-path", specs, "render", "gemini-query:gemini-3.5-flash", "--request", str(request_file), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    outputs["render stdout"], outputs["render stderr"] = captured.out, captured.err
    assert "key=***" in captured.out or "key=%2A%2A%2A" in captured.out, captured.out
    leaks = scan(outputs) + scan({f"log[{i}]": t for i, t in enumerate(logs.texts())})
    assert not leaks, "the canary leaked through the CLI:\n  " + "\n  ".join(leaks)
