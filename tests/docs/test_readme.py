"""The README is executable documentation: its set-up commands, its YAML example and its hook table
are checked here, so they cannot drift from the code (Datasette/llm style docs tests)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from specwire import hooks
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.DOTALL)


def _sh_blocks() -> list[str]:
    return [body.strip() for lang, body in BLOCKS if lang == "sh"]


def test_readme_starts_with_the_two_setup_commands() -> None:
    first, second = _sh_blocks()[:2]
    assert first.startswith("python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/specwire chat ")
    assert "--replay sample:" in first  # a recording shipped in the package: no checkout needed
    assert second == "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest"
    # nothing but prose comes before them
    assert README.index(first) < README.index("## ")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _sh_blocks()[1] in ci.splitlines()


def test_main_offline_job_runs() -> None:
    """The chat part of the first set-up command, on the bundled recording, with no key."""
    command = _sh_blocks()[0].split("&& ")[-1]
    argv = shlex.split(command)
    assert argv[0] == ".venv/bin/specwire"
    exe = Path(sys.executable).parent / "specwire"
    done = subprocess.run([str(exe), *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Wait for the pedestrian" in done.stdout
    assert "43 in / 282 out tokens" in done.stderr
    assert "straightforward question about pedestrian safety" in done.stderr  # --show-reasoning


def _acme_yaml() -> str:
    (body,) = [b for lang, b in BLOCKS if lang == "yaml" and "provider: acme" in b]
    return body


def test_readme_provider_example_is_valid_and_works(tmp_path: Path) -> None:
    from specwire import Client
    from specwire.cli.validate import validate_paths

    (tmp_path / "acme.yaml").write_text(_acme_yaml(), encoding="utf-8")
    assert validate_paths([str(tmp_path / "acme.yaml")]) == []
    client = Client(spec_paths=[str(tmp_path)], load_entry_points=False, env={})
    plan = client.build("acme:acme-large", "hi", temperature=1.5, top_k=5)
    assert plan.url == "https://api.acme.example/v1/chat/completions"
    assert plan.body["temperature"] == 1 and plan.body["top_k"] == 5
    assert [w.kind for w in plan.warnings] == ["clamped-param"]
    data = yaml.safe_load(_acme_yaml())
    assert data["extends"] == "openai"


def test_hook_table_lists_every_builtin_hook() -> None:
    rows = set(re.findall(r"^\| (auth|framing) \| `([^`]+)` \|", README, flags=re.MULTILINE))
    expected = {("auth", n) for n in hooks.known("auth")} | {("framing", n) for n in hooks.known("framing")}
    assert rows == expected


def test_provider_table_is_generated_from_the_specs() -> None:
    """README's providers table equals what tools/gen_provider_table.py writes from providers.d/."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_provider_table", ROOT / "tools" / "gen_provider_table.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.updated(README) == README, "run: python tools/gen_provider_table.py"


def test_routing_example_is_the_tested_config() -> None:
    """The complete router config of the router reference page is tests/router/readme_example.yaml,
    which tests/router runs (the README's short config is run by test_readme_examples.py)."""
    example = (ROOT / "tests" / "router" / "readme_example.yaml").read_text(encoding="utf-8")
    page = (ROOT / "docs" / "reference" / "router.md").read_text(encoding="utf-8")
    assert f"```yaml\n{example}```" in page
