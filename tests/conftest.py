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

_KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GEMINI_BASE_URL")


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
