"""Fixtures of the hostile-server tests (defined in tests/hostile/server.py)."""

from tests.hostile.server import hole, hostile, refused, sink  # noqa: F401
