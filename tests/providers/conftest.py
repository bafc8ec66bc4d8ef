"""Fixtures of the provider tests."""

from __future__ import annotations

from typing import Any

import pytest

import specwire


@pytest.fixture(scope="module")
def client(registry: Any) -> specwire.Client:
    """A client over the built-in specs; nothing is sent by `build`."""
    return specwire.Client(load_entry_points=False, registry=registry)
