"""Loads a module of tools/bench/ (not a package) for the benchmark's unit tests, leaving
``sys.path`` as it was (the bench scripts put their own folder on it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "tools" / "bench"


def load(name: str) -> ModuleType:
    """``tools/bench/<name>.py`` as the module ``bench_<name>``."""
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path[:] = saved
