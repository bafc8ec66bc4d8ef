"""A module that must never be imported by loading a spec: importing it creates the canary file
(tests/hostile_specs/hook-python-path.yaml names it as a hook)."""

from pathlib import Path

Path("/tmp/specwire-hostile-canary").write_text("imported by a spec\n")


def boom(*args: object, **kwargs: object) -> None:  # pragma: no cover - never called
    Path("/tmp/specwire-hostile-canary").write_text("called by a spec\n")
