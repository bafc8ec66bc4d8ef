"""Shared test setup.

* Every test runs with a clean environment for specwire: no provider API keys, no
  ``SPECWIRE_PROVIDERS_PATH``, and ``XDG_CONFIG_HOME`` pointing at an empty temporary folder, so a
  developer's own specs or keys never change a result.
* The network is blocked: a socket may only connect to loopback (respx mocks never open sockets;
  tests that run a local server use 127.0.0.1).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PROVIDERS_DIR = ROOT / "providers.d"

_KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GEMINI_BASE_URL", "GROQ_API_KEY", "GROQ_BASE_URL", "TOGETHER_API_KEY", "TOGETHER_BASE_URL", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "OPENROUTER_APP_URL", "OPENROUTER_APP_TITLE", "OPENROUTER_APP_CATEGORIES", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL", "PERPLEXITY_API_KEY", "PERPLEXITY_BASE_URL", "CEREBRAS_API_KEY", "CEREBRAS_BASE_URL", "XAI_API_KEY", "XAI_BASE_URL", "MISTRAL_API_KEY", "MISTRAL_BASE_URL", "FIREWORKS_API_KEY", "FIREWORKS_BASE_URL", "DASHSCOPE_API_KEY", "DASHSCOPE_COMPATIBLE_BASE_URL", "SILICONFLOW_API_KEY", "SILICONFLOW_BASE_URL", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "ZAI_API_KEY", "ZAI_BASE_URL", "OLLAMA_BASE_URL", "VLLM_BASE_URL", "LLAMA_CPP_BASE_URL", "LM_STUDIO_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_DEPLOYMENT", "AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION", "AZURE_RESOURCE_NAME", "CO_API_KEY", "COHERE_API_KEY", "CO_API_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_VERTEX_BASE_URL", "GOOGLE_APPLICATION_CREDENTIALS", "ANTHROPIC_VERTEX_PROJECT_ID", "CLOUD_ML_REGION", "ANTHROPIC_VERTEX_BASE_URL")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in _KEY_VARS + ("SPECWIRE_PROVIDERS_PATH",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and self.family in (socket.AF_INET, socket.AF_INET6):
        raise RuntimeError(f"tests must not touch the network (tried to connect to {address!r})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def _instant_retry_sleeps(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry backoff sleeps take no time, so error-path tests stay fast; tests about the retry
    timing itself are marked ``real_sleeps``."""
    if request.node.get_closest_marker("real_sleeps"):
        return
    import specwire.attempts

    async def _no_async_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(specwire.attempts, "_sleep", lambda seconds: None)
    monkeypatch.setattr(specwire.attempts, "_async_sleep", _no_async_sleep)


def corpus_cases(providers: tuple[str, ...] | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """``(case folder, case.yaml data)`` for every recorded fixture, optionally only those whose
    ``replay.provider`` is in ``providers``."""
    out = []
    for case_file in sorted(FIXTURES.glob("*/*/case.yaml")):
        data = yaml.safe_load(case_file.read_text(encoding="utf-8"))
        if providers is None or data["replay"]["provider"] in providers:
            out.append((case_file.parent, data))
    return out


@pytest.fixture(scope="session")
def registry() -> Any:
    """A registry of the built-in specs only."""
    from specwire.registry import SpecRegistry

    return SpecRegistry(user_config=False, env={})
