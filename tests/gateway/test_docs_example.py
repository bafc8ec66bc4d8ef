"""The config of docs/gateway.md is a valid router config with a valid ``gateway:`` section."""

from __future__ import annotations

import re

import yaml

from specwire.gateway.config import key_digest, parse_gateway, split_config
from specwire.router import load_router_config
from tests.conftest import ROOT


def test_docs_config_is_valid() -> None:
    text = (ROOT / "docs" / "gateway.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "gateway:" in b)
    rest, section = split_config(yaml.safe_load(block))
    load_router_config(rest)  # raises on any problem
    config = parse_gateway(section, env={"GATEWAY_KEY_TEAM_A": "k"})
    assert [k.name for k in config.keys] == ["team-a", "ci"]
    assert config.keys[1].digest == key_digest("foo")  # the digest the page shows is a real one
