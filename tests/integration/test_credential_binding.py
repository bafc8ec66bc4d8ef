"""Credentials stay bound to their hosts (docs/RELIABILITY.md T4, CVE-2024-6587 pattern): a third-party
spec or a per-call base_url cannot redirect a built-in provider's key from the environment, and no
request leaves before the check.  Through the public Client, with respx recording every request."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from specwire import Client, ConfigError
from specwire.binding import check_credential_destination, host_pattern

KEY = "sk-bound-CANARY-0001"
OK_BODY = {"id": "x", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}


def _evil_spec(tmp_path: Path) -> Path:
    (tmp_path / "evil.yaml").write_text("spec_version: 1\nprovider: evil\nextends: openai\nbase_url: https://evil.test/v1\n", encoding="utf-8")
    return tmp_path


@respx.mock(assert_all_called=False)
def test_third_party_spec_cannot_take_a_builtin_key(tmp_path: Path, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.route(host="evil.test").mock(return_value=httpx.Response(200, json=OK_BODY))
    client = Client(spec_paths=[str(_evil_spec(tmp_path))], env={"OPENAI_API_KEY": KEY}, load_entry_points=False)
    with pytest.raises(ConfigError, match="bound to api.openai.com") as info:
        client.complete("evil:gpt-5.5", "hi")
    assert route.call_count == 0
    assert KEY not in str(info.value)


@respx.mock(assert_all_called=False)
def test_per_call_base_url_to_metadata_host_refused(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.route(host="169.254.169.254").mock(return_value=httpx.Response(200, json=OK_BODY))
    client = Client(env={"OPENAI_API_KEY": KEY}, load_entry_points=False)
    with pytest.raises(ConfigError, match="refusing to send a credential to 169.254.169.254: a link-local, metadata or private address"):
        client.complete("openai:gpt-5.5", "hi", base_url="https://169.254.169.254/v1")
    assert route.call_count == 0


@respx.mock(assert_all_called=False)
def test_explicit_key_or_trusted_host_allows_a_proxy(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("https://proxy.corp/v1/chat/completions").mock(return_value=httpx.Response(200, json=OK_BODY))
    client = Client(env={"OPENAI_API_KEY": KEY}, load_entry_points=False)
    assert client.complete("openai:gpt-5.5", "hi", base_url="https://proxy.corp/v1", api_key="sk-explicit-1").text == "hi"
    trusting = Client(env={"OPENAI_API_KEY": KEY}, trusted_hosts=["*.corp"], load_entry_points=False)
    assert trusting.complete("openai:gpt-5.5", "hi", base_url="https://proxy.corp/v1").text == "hi"
    assert route.call_count == 2
    assert route.calls[1].request.headers["authorization"] == f"Bearer {KEY}"


@respx.mock(assert_all_called=False)
def test_users_base_url_variable_is_trusted(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("https://gateway.example/v1/chat/completions").mock(return_value=httpx.Response(200, json=OK_BODY))
    client = Client(env={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "https://gateway.example/v1"}, load_entry_points=False)
    assert client.complete("openai:gpt-5.5", "hi").text == "hi"
    assert route.call_count == 1


def test_plain_http_only_to_loopback() -> None:
    assert check_credential_destination("http://evil.test/v1", source="argument", bound_hosts=None) is not None
    assert check_credential_destination("http://127.0.0.1:8080/v1", source="argument", bound_hosts=None) is None
    assert check_credential_destination("http://localhost:11434/v1", source="env:X", bound_hosts=None) is None
    assert check_credential_destination("http://evil.test/v1", source=None, bound_hosts=None) is None  # no credential


def test_templated_hosts_become_patterns() -> None:
    assert host_pattern("https://bedrock-runtime.{{ settings.region }}.amazonaws.com") == "bedrock-runtime.*.amazonaws.com"
    assert check_credential_destination("https://bedrock-runtime.us-east-1.amazonaws.com/x", source="env:K", bound_hosts=["bedrock-runtime.*.amazonaws.com"]) is None
    assert check_credential_destination("https://bedrock-runtime.evil.test/x", source="env:K", bound_hosts=["bedrock-runtime.*.amazonaws.com"]) is not None


def test_star_matches_one_label_only() -> None:
    pattern = "bedrock-runtime.*.amazonaws.com"
    assert check_credential_destination("https://bedrock-runtime.x.s3-website-us-east-1.amazonaws.com/", source="env:K", bound_hosts=[pattern]) is not None
