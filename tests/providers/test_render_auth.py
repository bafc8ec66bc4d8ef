"""``specwire render`` shows the exact request, authenticated and redacted, for every auth scheme
that needs no network; for the others it says so in ``warnings``.

* bearer / header / query (a key from the environment, or a placeholder): the auth header or query
  parameter is there, masked;
* aws-sigv4 with static credentials in the environment (``AWS_ACCESS_KEY_ID`` /
  ``AWS_SECRET_ACCESS_KEY`` [/ ``AWS_SESSION_TOKEN``]): the request is signed, so ``x-amz-date`` and
  ``Authorization: AWS4-HMAC-SHA256 Credential=***, SignedHeaders=…, Signature=***`` are shown
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html : the
  Authorization header's Credential, SignedHeaders and Signature elements); the access key, the
  secret, the session token and the signature never appear;  a Bedrock API key
  (``AWS_BEARER_TOKEN_BEDROCK``) renders as a masked ``Authorization``;
* aws-sigv4 without static credentials (botocore's chain may call STS / IMDS / SSO), google-oauth and
  azure-ad (token fetches): the request is shown without auth and a warning says why.

Both through the library (:func:`specwire.cli.output.rendered_request`, what the CLI prints) and the
CLI (``specwire.cli.main``).  Nothing touches the network.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import specwire
from specwire.cli import main as cli_main
from specwire.cli.output import rendered_request

ACCESS_KEY = "AKIAEXAMPLERENDER001"
SECRET = "renderSecretKey/Example0123456789abcdefXYZ"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789"
AWS_ENV = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": "us-east-1"}
BEDROCK = "bedrock:us.anthropic.claude-sonnet-4-20250514-v1:0"
SIGV4_AUTHORIZATION = re.compile(r"^AWS4-HMAC-SHA256 Credential=\*\*\*, SignedHeaders=([a-z0-9;-]+), Signature=\*\*\*$")


@pytest.fixture(autouse=True)
def no_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials come only from the env mappings given here, never a developer's ~/.aws."""
    monkeypatch.setitem(sys.modules, "botocore", None)
    monkeypatch.setitem(sys.modules, "botocore.session", None)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def _render(registry: Any, ref: str, env: dict[str, str]) -> dict[str, Any]:
    with specwire.Client(load_entry_points=False, registry=registry, env=env) as client:
        plan = client.build(ref, "hi", stream=True)
        spec = client.registry.resolve(ref)[0]
        return rendered_request(client, spec, plan)


def _assert_signed(out: dict[str, Any], *secrets: str) -> None:
    headers = out["headers"]
    match = SIGV4_AUTHORIZATION.match(headers["authorization"])
    assert match, headers["authorization"]
    assert {"host", "x-amz-date"} <= set(match.group(1).split(";"))
    assert re.fullmatch(r"\d{8}T\d{6}Z", headers["x-amz-date"])
    assert not [w for w in out["warnings"] if w["kind"] == "auth-not-shown"]
    text = json.dumps(out)
    for secret in secrets:
        assert secret not in text


@pytest.mark.parametrize("token", [None, TOKEN], ids=["keys", "session-token"])
def test_library_render_signs_sigv4_with_static_env_credentials(registry: Any, token: str | None) -> None:
    env = {**AWS_ENV, **({"AWS_SESSION_TOKEN": token} if token else {})}
    out = _render(registry, BEDROCK, env)
    _assert_signed(out, ACCESS_KEY, SECRET, TOKEN)
    assert out["url"].endswith("/converse-stream")
    if token:
        assert out["headers"]["x-amz-security-token"] == "***"
        assert "x-amz-security-token" in SIGV4_AUTHORIZATION.match(out["headers"]["authorization"]).group(1)  # type: ignore[union-attr]


def test_library_render_bedrock_api_key_is_a_masked_bearer(registry: Any) -> None:
    out = _render(registry, BEDROCK, {"AWS_BEARER_TOKEN_BEDROCK": "ABSKbedrockApiKeyExample0123456789", "AWS_REGION": "us-east-1"})
    assert out["headers"]["authorization"] == "***"  # masked whole, like every key header
    assert "ABSKbedrock" not in json.dumps(out) and not out["warnings"]


def test_library_render_sigv4_without_static_credentials_warns(registry: Any) -> None:
    out = _render(registry, BEDROCK, {"AWS_REGION": "us-east-1"})
    assert "authorization" not in out["headers"] and "x-amz-date" not in out["headers"]
    [warning] = [w for w in out["warnings"] if w["kind"] == "auth-not-shown"]
    assert "aws-sigv4" in warning["detail"]


@pytest.mark.parametrize(
    ("ref", "env"),
    [
        ("vertex:gemini-3.8-flash", {"GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_CLOUD_LOCATION": "us-central1"}),
        ("azure-openai-entra:gpt-5-nano", {"AZURE_OPENAI_ENDPOINT": "https://example-resource.openai.azure.com"}),
    ],
)
def test_library_render_token_schemes_say_they_need_the_network(registry: Any, ref: str, env: dict[str, str]) -> None:
    out = _render(registry, ref, env)
    assert "authorization" not in {k.lower() for k in out["headers"]}
    [warning] = [w for w in out["warnings"] if w["kind"] == "auth-not-shown"]
    assert "network" in warning["detail"]


@pytest.mark.parametrize(("ref", "env", "where"), [
    ("openai:gpt-5.5", {"OPENAI_API_KEY": "sk-proj-renderExampleKey0123456789"}, ("headers", "authorization")),
    ("gemini:gemini-3.8-flash", {"GEMINI_API_KEY": "AIzaRenderExampleKey0123456789"}, ("headers", "x-goog-api-key")),
])
def test_library_render_key_schemes_are_masked(registry: Any, ref: str, env: dict[str, str], where: tuple[str, str]) -> None:
    out = _render(registry, ref, env)
    assert "***" in out[where[0]][where[1]]
    assert list(env.values())[0] not in json.dumps(out) and not [w for w in out["warnings"] if w["kind"] == "auth-not-shown"]


def test_cli_render_prints_the_signed_sigv4_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**AWS_ENV, "AWS_SESSION_TOKEN": TOKEN}.items():
        monkeypatch.setenv(name, value)
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_output_tokens": 64}), encoding="utf-8")
    capsys.readouterr()
    code = cli_main(["render", BEDROCK, "--request", str(request), "--stream", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rendered = json.loads(out)
    _assert_signed(rendered, ACCESS_KEY, SECRET, TOKEN)
    assert ACCESS_KEY not in err and SECRET not in err and TOKEN not in err
    assert rendered["body"]["inferenceConfig"] == {"maxTokens": 64}
