"""Requests go only where the caller meant (docs/RELIABILITY.md T4/T7).

What this protects:

* **template values cannot reshape a URL**: a model, deployment, project, location or region
  that lands in a spec's ``path`` or ``base_url`` is encoded for its place (one path segment, a
  host label) or refused with :class:`RequestBuildError`: ``gemini:../../evil`` does not reach
  ``/evil:generateContent``, ``x?key=leak&a=`` and ``x#frag`` change neither the query nor the
  method suffix; ``.``/``..`` segments are refused; host values that are not DNS labels are refused.
  Every built-in spec with such a value in its URL is checked (plans built without I/O), and the
  Gemini case end to end on a loopback server (what the server receives);
* **internal addresses in any spelling**: the link-local / metadata / private check reads hosts as
  the socket layer does (``2852039166``, ``0251.0376.0251.0376``, ``10.1``, trailing dots,
  NAT64, 6to4, IPv4-mapped…): refused before any connection;
* **DNS rebinding**: a host *name* that resolves into those ranges (a patched resolver) is refused
  when the connection is opened, before any byte is sent, for a credentialed request; a trusted
  host and an uncredentialed request go through;
* **echoed secrets in error attributes**: a key the server echoes in ``x-request-id`` (or in the
  error's code, type, param) is masked in ``request_id`` and every other attribute.

Every I/O row runs on httpx (sync and async) and on the aiohttp backend (async).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from specwire import APIStatusError, Client, ConfigError, RequestBuildError, TransportError
from tests.hostile.server import HostileServer, json_reply
from tests.reliability.helpers import KEYS, Driver, make_client

GPT = "openai:gpt-5.5"
BACKENDS = ("httpx-sync", "httpx-async", "aiohttp-async")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param.startswith("aiohttp"):
        pytest.importorskip("aiohttp")
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def driver(backend: str) -> Iterator[Any]:
    """``driver(server=None, provider="openai", **client_kwargs)`` → a :class:`Driver` on this
    test's backend, closed at teardown."""
    made: list[Driver] = []

    def factory(server: HostileServer | None = None, provider: str = "openai", **kwargs: Any) -> Driver:
        if backend.startswith("aiohttp"):
            kwargs.update(async_backend="aiohttp", async_transport=None)
        d = Driver("sync" if backend.endswith("sync") else "async", make_client(server, provider, **kwargs))
        made.append(d)
        return d

    yield factory
    for d in made:
        d.close()


# ---------------------------------------------------------------------------- no network, ever
class _Net:
    """A resolver and ``connect`` patched for the test: names in ``names`` resolve to the given
    address, every connect is recorded, and a connect to anything but loopback is refused locally
    (nothing ever leaves the machine)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: dict[str, str] = {}
        self.resolved: list[str] = []
        self.connects: list[Any] = []
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
        net = self

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            if isinstance(name, str) and name.lower().rstrip(".") in net.names:
                net.resolved.append(name)
                return real_getaddrinfo(net.names[name.lower().rstrip(".")], port, *args, **kwargs)
            return real_getaddrinfo(host, port, *args, **kwargs)

        def connect(sock: socket.socket, address: Any) -> Any:
            net.connects.append(address)
            if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
                raise ConnectionRefusedError(111, "refused by the test (no network)")
            return real_connect(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)

    def outside(self) -> list[Any]:
        return [a for a in self.connects if isinstance(a, tuple) and a[0] not in ("127.0.0.1", "::1")]


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> _Net:
    return _Net(monkeypatch)


# ---------------------------------------------------------------------------- IP literal spellings
INTERNAL_LITERALS = [
    "2852039166",                  # 169.254.169.254 as one decimal number
    "0xa9fea9fe",                  # ... as one hex number
    "0251.0376.0251.0376",         # ... in octal
    "169.254.43518",               # ... with a 16-bit last part
    "10.1",                        # 10.0.0.1, short form
    "169.254.169.254.",            # trailing dot
    "metadata.google.internal.",   # trailing dot on the metadata name
    "METADATA.Google.Internal",    # case
    "[64:ff9b::a9fe:a9fe]",        # NAT64 of 169.254.169.254
    "[2002:a9fe:a9fe::]",          # 6to4 of 169.254.169.254
    "[::ffff:169.254.169.254]",    # IPv4-mapped
    "[::ffff:a9fe:a9fe]",          # IPv4-mapped, hex
    "[::ffff:10.0.0.7]",           # IPv4-mapped private
    "[fe80::1%25eth0]",            # link-local with a zone
]


@pytest.mark.parametrize("host", INTERNAL_LITERALS)
def test_internal_address_in_any_spelling_refused(driver: Any, hostile: HostileServer, net: _Net, host: str) -> None:
    """A per-call base_url naming a link-local, metadata or private address in any spelling the
    socket layer accepts: ``ConfigError`` before any connection, even with ``api_key=`` on the
    call (only ``trusted_hosts`` opts in)."""
    hostile.always(json_reply(200, {}))
    d = driver(hostile)
    out = d.complete(GPT, base_url=f"https://{host}/v1", api_key=KEYS["openai"], max_retries=0, catch=(Exception,))
    assert isinstance(out.error, ConfigError), f"{host}: {out.describe()}"
    assert KEYS["openai"] not in str(out.error)
    assert net.outside() == [] and hostile.connections_opened == 0


def test_loopback_spellings_stay_loopback() -> None:
    """Loopback in any spelling is loopback (allowed as today), not internal."""
    from specwire.binding import is_internal, is_loopback

    for host in ("127.0.0.1", "127.1", "2130706433", "0x7f000001", "[::1]", "localhost.", "[::ffff:127.0.0.1]"):
        assert is_loopback(host) and not is_internal(host), host
    for host in ("api.openai.com", "8.8.8.8", "[2606:4700::1111]", "[::ffff:8.8.8.8]", "[64:ff9b::808:808]", "[2002:808:808::]", "1.2.3.4.example", "0x7g.1"):
        assert not is_internal(host), host
    for host in INTERNAL_LITERALS:
        assert is_internal(urlsplit(f"https://{host}/").hostname or ""), host


def test_connect_guard_checks_the_resolved_address() -> None:
    """The pure policy of the connect-time check: internal addresses refused unless the exact
    host (normalised) is trusted; loopback and public addresses pass."""
    from specwire.binding import ConnectGuard

    guard = ConnectGuard.of(["Proxy.Corp.Test.", "*.wild.test"])
    assert guard.check("rebind.test", "169.254.169.254") and guard.check("rebind.test", "::ffff:10.0.0.1")
    assert guard.check("x.wild.test", "10.0.0.1"), "a wildcard pattern never trusts an internal address"
    assert guard.check("proxy.corp.test", "10.0.0.1") is None and guard.check("PROXY.corp.test.", "10.0.0.1") is None
    assert guard.check("rebind.test", "127.0.0.1") is None and guard.check("rebind.test", "93.184.216.34") is None


# ---------------------------------------------------------------------------- DNS rebinding
@pytest.mark.parametrize("address", ["169.254.169.254", "10.0.0.7", "fd00::7", "::ffff:169.254.169.254"])
def test_host_name_resolving_inside_refused_before_any_byte(driver: Any, net: _Net, address: str) -> None:
    """A host name whose DNS answer is link-local or private: refused with ``ConfigError`` when the
    connection would open (after the resolver, before ``connect``), for a key given on the call."""
    net.names["rebind.test"] = address
    d = driver()
    out = d.complete(GPT, base_url="https://rebind.test/v1", api_key=KEYS["openai"], max_retries=0, catch=(Exception,))
    assert isinstance(out.error, ConfigError), out.describe()
    assert "rebind.test" in str(out.error) and KEYS["openai"] not in str(out.error)
    assert net.resolved, "the name was never resolved: the refusal came from somewhere else"
    assert net.outside() == [], f"a connection was attempted: {net.outside()}"


def test_host_name_resolving_to_loopback_is_connected(driver: Any, hostile: HostileServer, net: _Net) -> None:
    """A name resolving to loopback is not refused: the connection opens, to the address that was
    checked (the loopback server speaks plain HTTP, so the TLS handshake then fails)."""
    net.names["loop.test"] = "127.0.0.1"
    d = driver()
    out = d.complete(GPT, base_url=f"https://loop.test:{hostile.port}/v1", api_key=KEYS["openai"], max_retries=0, catch=(Exception,))
    assert isinstance(out.error, TransportError), out.describe()
    assert hostile.connections_opened >= 1 and net.outside() == []


def test_trusted_host_and_keyless_request_may_resolve_inside(driver: Any, net: _Net) -> None:
    """The exact host in ``trusted_hosts`` (a corporate proxy on a private address), and a request
    that carries no credential, are not refused: the connect is attempted (and refused by the
    test's own no-network guard, a ``TransportError``)."""
    net.names["proxy.corp.test"] = "10.0.0.8"
    trusted = driver(trusted_hosts=["proxy.corp.test"])
    out = trusted.complete(GPT, base_url="https://proxy.corp.test/v1", api_key=KEYS["openai"], max_retries=0, catch=(Exception,))
    assert isinstance(out.error, TransportError), out.describe()
    assert [a[0] for a in net.outside()] == ["10.0.0.8"]
    configured = driver(base_urls={"openai": "https://proxy.corp.test/v1"})
    out = configured.complete(GPT, max_retries=0, catch=(Exception,))
    assert isinstance(out.error, TransportError), f"the base URL the caller configured is trusted: {out.describe()}"
    keyless = driver(provider="vllm", key=False)
    out = keyless.complete("vllm:some-model", base_url="http://proxy.corp.test:8000/v1", max_retries=0, catch=(Exception,))
    assert isinstance(out.error, TransportError), out.describe()


# ---------------------------------------------------------------------------- secrets echoed in error attributes
def test_secret_echoed_in_request_id_and_error_fields_masked(driver: Any, hostile: HostileServer) -> None:
    """A server that echoes the key in ``x-request-id`` and in the error's code, type and param:
    no attribute of the error (request_id, code, error_type, param, message, body, headers) nor
    its str/repr carries it."""
    key = KEYS["openai"]
    body = {"error": {"message": f"bad key {key}", "type": f"t-{key}", "code": f"c-{key}", "param": f"p-{key}"}}
    hostile.always(json_reply(400, body, ("x-request-id", f"req-{key}"), ("request-id", key)))
    d = driver(hostile)
    for stream in (False, True):
        out = d.call(stream, GPT)
        err = out.error
        assert isinstance(err, APIStatusError), out.describe()
        fields = {name: repr(getattr(err, name)) for name in ("request_id", "code", "error_type", "param", "message", "body", "headers")}
        fields.update({"str": str(err), "repr": repr(err), "args": repr(err.args)})
        leaks = [name for name, text in fields.items() if key in text or key[-16:] in text]
        assert not leaks, f"the key leaked in {leaks}"
        assert err.request_id is not None and err.request_id.startswith("req-"), err.request_id


# ---------------------------------------------------------------------------- model names in URLs
INJECTIONS = ["../../evil", "x?key=leak&a=", "x#frag", "..", ".", "a/../../b", "%2e%2e", "x/y"]


def _plan_url(ref: str, **options: Any) -> str | None:
    """The URL a call would use, or ``None`` when the build refused it (RequestBuildError)."""
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AZURE_RESOURCE_NAME": "myres"}
    client = Client(env=env, load_entry_points=False)
    try:
        return client.build(ref, "hi", **options).url
    except RequestBuildError:
        return None


def _assert_contained(url: str | None, prefix: str, suffix: str, value: str, *, query: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    if url is None:
        return  # refused: fine
    parts = urlsplit(url)
    assert parts.fragment == "", url
    assert set(parse_qs(parts.query, keep_blank_values=True)) <= query, url
    assert parts.path.startswith(prefix) and parts.path.endswith(suffix), url
    assert not any(seg in (".", "..") for seg in parts.path.split("/")), url
    assert quote(value, safe="") in parts.path, url


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize(
    ("provider", "prefix", "suffix", "query"),
    [
        ("gemini", "/v1beta/models/", ":generateContent", set()),
        ("bedrock", "/model/", "/converse", set()),
        ("bedrock-anthropic", "/model/", "/invoke", set()),
        ("bedrock-llama", "/model/", "/invoke", set()),
        ("bedrock-titan", "/model/", "/invoke", set()),
        ("azure-openai", "/openai/deployments/", "/chat/completions", {"api-version"}),
        ("azure-openai-entra", "/openai/deployments/", "/chat/completions", {"api-version"}),
    ],
)
def test_model_in_path_is_one_segment(provider: str, prefix: str, suffix: str, query: set[str], value: str, stream: bool) -> None:
    """The model of the ref lands in the path as one encoded segment (or the build is refused)."""
    url = _plan_url(f"{provider}:{value}", stream=stream)
    if stream and provider == "gemini":
        suffix = ":streamGenerateContent"
        query = query | {"alt"}
    if stream and provider.startswith("bedrock"):
        suffix = "/converse-stream" if provider == "bedrock" else "/invoke-with-response-stream"
    _assert_contained(url, prefix, suffix, value, query=query)


@pytest.mark.parametrize("value", INJECTIONS)
def test_settings_in_path_are_one_segment(value: str) -> None:
    """Deployment, project and location settings land in the path as one segment each."""
    _assert_contained(_plan_url("azure-openai:gpt-5.5", settings={"deployment": value}), "/openai/deployments/", "/chat/completions", value, query={"api-version"})
    url = _plan_url("vertex-anthropic:claude-sonnet-5-5", settings={"project": value, "location": "us-east5"})
    _assert_contained(url, "/v1/projects/", ":rawPredict", value)
    url = _plan_url("vertex:gemini-3.5-flash", settings={"project": value, "location": "us-central1"})
    _assert_contained(url, "/v1/projects/", ":generateContent", value)


@pytest.mark.parametrize("value", ["../../evil", "x?key=leak", "x#frag", "..", "a/b"])
def test_vertex_model_is_contained(value: str) -> None:
    """Vertex model ids and resource names: a plain id is one segment; a resource name
    (``publishers/…``) keeps its slashes but no segment may be ``.``/``..`` nor carry ``?``/``#``."""
    for ref in (f"vertex:{value}", f"vertex:publishers/google/models/{value}", f"vertex-anthropic:{value}"):
        url = _plan_url(ref, settings={"project": "p", "location": "us-central1"} if ref.startswith("vertex:") else {"project": "p", "location": "us-east5"})
        if url is None:
            continue
        parts = urlsplit(url)
        assert parts.fragment == "" and parts.query == "", url
        assert parts.path.startswith("/v1/projects/p/locations/"), url
        assert parts.path.endswith((":generateContent", ":rawPredict")), url
        assert not any(seg in (".", "..") for seg in parts.path.split("/")), url
        assert "?" not in parts.path and "#" not in parts.path


@pytest.mark.parametrize("value", ["evil.com/x", "evil.com#", "evil.com?", "evil.com:1@x", "a b", "", "evil.com\\x"])
def test_host_settings_must_be_host_labels(value: str) -> None:
    """A region, resource or location that lands in the host must be DNS labels: anything else is
    refused (RequestBuildError), never a different host."""
    for ref, settings in (
        ("bedrock:anthropic.claude-3-sonnet-20240229-v1:0", {"region": value}),
        ("azure-openai:gpt-5.5", {"resource": value}),
        ("vertex:gemini-3.5-flash", {"location": value, "project": "p"}),
        ("vertex-anthropic:claude-sonnet-5-5", {"location": value, "project": "p"}),
    ):
        url = _plan_url(ref, settings=settings)
        if url is not None:
            host = urlsplit(url).hostname or ""
            assert host.endswith((".amazonaws.com", ".openai.azure.com", ".googleapis.com")) and "/" not in host, (ref, url)
            assert urlsplit(url).path.startswith(("/model/", "/openai/", "/v1/")), (ref, url)


def test_real_ids_unchanged() -> None:
    """What the specs accept today still renders the same: Bedrock ids with ``:`` and ARNs (one
    segment, encoded as botocore does), Vertex resource names, Gemini ids."""
    assert _plan_url("bedrock:anthropic.claude-3-sonnet-20240229-v1:0") == "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-sonnet-20240229-v1%3A0/converse"
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-sonnet"
    assert _plan_url(f"bedrock:{arn}") == f"https://bedrock-runtime.us-east-1.amazonaws.com/model/{quote(arn, safe='')}/converse"
    assert _plan_url("gemini:gemini-3.5-flash") == "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash:generateContent"
    settings = {"project": "my-proj", "location": "us-central1"}
    base = "https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1/"
    assert _plan_url("vertex:gemini-3.5-flash", settings=settings) == base + "publishers/google/models/gemini-3.5-flash:generateContent"
    assert _plan_url("vertex:publishers/google/models/gemini-3.5-flash", settings=settings) == base + "publishers/google/models/gemini-3.5-flash:generateContent"
    assert _plan_url("vertex:google/gemini-3.5-flash", settings=settings) == base + "publishers/google/models/gemini-3.5-flash:generateContent"
    assert _plan_url("vertex:projects/p2/locations/l2/endpoints/123", settings=settings) == "https://us-central1-aiplatform.googleapis.com/v1/projects/p2/locations/l2/endpoints/123:generateContent"
    assert _plan_url("azure-openai:gpt-5.5", settings={"deployment": "my-dep"}) == "https://myres.openai.azure.com/openai/deployments/my-dep/chat/completions?api-version=2025-04-01-preview"


@pytest.mark.parametrize("model", ["../../evil", "x?key=leak&a=", "x#frag"])
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_gemini_model_injection_end_to_end(driver: Any, hostile: HostileServer, model: str, stream: bool) -> None:
    """What the server receives for ``gemini:<model>``: the path stays under ``/v1beta/models/``
    with the method suffix, the query is only what the spec adds."""
    hostile.always(json_reply(404, {"error": {"code": 404, "message": "no", "status": "NOT_FOUND"}}))
    d = driver(hostile, "gemini")
    out = d.call(stream, f"gemini:{model}")
    assert isinstance(out.error, (APIStatusError, RequestBuildError)), out.describe()
    for received in hostile.requests:
        assert received.path.startswith("/v1beta/models/"), received.target
        assert received.path.endswith(":streamGenerateContent" if stream else ":generateContent"), received.target
        assert "key" not in parse_qs(received.query), received.target
        assert "/evil" not in received.path, received.target



def test_secret_echoed_in_bedrock_error_headers_masked(driver: Any, hostile: HostileServer) -> None:
    """Bedrock reports the error type and request id in headers (``x-amzn-ErrorType``,
    ``x-amzn-requestid``): a key echoed there is masked in ``error_type`` and ``request_id``."""
    key = KEYS["bedrock-loopback"]
    hostile.always(json_reply(400, {"message": "bad"}, ("x-amzn-ErrorType", f"ValidationException{key}:http://x"), ("x-amzn-requestid", f"rid-{key}")))
    d = driver(hostile, "bedrock-loopback")
    out = d.complete("bedrock-loopback:anthropic.claude-hostile")
    err = out.error
    assert isinstance(err, APIStatusError), out.describe()
    texts = {name: repr(getattr(err, name)) for name in ("request_id", "error_type", "code", "headers", "message")}
    texts["str"] = str(err)
    assert not [n for n, t in texts.items() if key in t], texts
    assert err.request_id is not None and err.request_id.startswith("rid-")


def test_pooled_connection_to_an_internal_address_not_reused_for_a_credential(driver: Any, hostile: HostileServer, net: _Net, monkeypatch: pytest.MonkeyPatch) -> None:
    """An uncredentialed request opens a connection to a name that resolves inside; a credentialed
    request to the same name would reuse that pooled connection without a new resolution: it is
    refused before sending.  (The loopback server plays the internal address: for this test only,
    127.0.0.1 counts as internal.)"""
    import specwire.binding
    import specwire.netguard

    real = specwire.binding.is_internal_address
    monkeypatch.setattr(specwire.binding, "is_internal_address", lambda ip: str(ip) == "127.0.0.1" or real(ip))
    monkeypatch.setattr(specwire.netguard, "is_internal_address", lambda ip: str(ip) == "127.0.0.1" or real(ip))
    monkeypatch.setattr(specwire.netguard, "_NOTED", {})
    hostile.always(json_reply(200, {"id": "x", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}))
    d = driver(provider="vllm", key=False)
    url = f"http://localhost:{hostile.port}/v1"
    out = d.complete("vllm:m", base_url=url, max_retries=0)
    assert out.error is None and hostile.count == 1, out.describe()
    out = d.complete("vllm:m", base_url=url, api_key=KEYS["openai"], max_retries=0, catch=(Exception,))
    assert isinstance(out.error, ConfigError), out.describe()
    assert hostile.count == 1


def test_default_transports_are_guarded(net: _Net) -> None:
    """A client built without any transport argument (httpx builds its own pools, environment
    proxies included) checks the resolved address too, sync and async."""
    import asyncio

    net.names["rebind.test"] = "169.254.169.254"
    client = Client(load_entry_points=False, env={}, max_retries=0)
    try:
        with pytest.raises(ConfigError, match="rebind.test"):
            client.complete(GPT, "hi", base_url="https://rebind.test/v1", api_key=KEYS["openai"])

        async def run() -> None:
            try:
                with pytest.raises(ConfigError, match="rebind.test"):
                    await client.acomplete(GPT, "hi", base_url="https://rebind.test/v1", api_key=KEYS["openai"])
            finally:
                await client.aclose()

        asyncio.run(run())
    finally:
        client.close()
    assert net.outside() == []
