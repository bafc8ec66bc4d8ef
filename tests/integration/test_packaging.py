"""Packaging: the built-in provider specs and JSON Schemas are found by an installed specwire.

What this protects (docs/ARCHITECTURE.md section 1: "Both an editable install and a built wheel installed in a
fresh virtual environment must find the built-in specs and schemas"):

* the editable install of the dev environment, run from a directory outside the repository, lists
  the built-in openai/anthropic/gemini specs from ``providers.d/``;
* a wheel built from the sources ships ``specwire``, ``specwire.providers_d`` (the YAML specs),
  ``specwire.schemas`` (the JSON Schemas), ``specwire.samples`` (the recordings validate-spec
  replays) and its console scripts, and once installed in a fresh virtual environment works from
  there alone: ``specwire providers``, ``specwire replay``, ``validate-spec`` catching a mapping
  typo with the shipped samples, and an ``import specwire`` whose files and resources all live
  inside that environment.

The wheel test builds and installs for real (no network: ``--no-isolation``, ``--no-deps
--no-index``) and takes several seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
BIN = Path(sys.executable).parent
PROVIDERS = {"openai", "anthropic", "gemini"}
# Not copied into the build tree: environments, VCS data, caches and earlier build output.
_BUILD_IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "*.pyc")


def _env(tmp: Path) -> dict[str, str]:
    """The (conftest-isolated) environment, with nothing that could point an interpreter back at
    the repository, and an empty user config folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env.update(PYTHONNOUSERSITE="1", PYTHONIOENCODING="utf-8", XDG_CONFIG_HOME=str(tmp / "xdg"))
    return env


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=timeout, check=False)
    assert result.returncode == 0, f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def _providers(stdout: str) -> dict[str, dict[str, object]]:
    return {row["provider"]: row for row in json.loads(stdout)}


def test_editable_install_finds_builtin_specs(tmp_path: Path) -> None:
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    result = _run([BIN / "specwire", "providers", "--json"], cwd, _env(tmp_path))
    rows = _providers(result.stdout)
    assert PROVIDERS <= set(rows)
    for name in PROVIDERS:
        row = rows[name]
        assert row["source"] == "builtin" and row["error"] is None
        assert Path(str(row["file"])) == ROOT / "providers.d" / f"{name}.yaml"
        assert isinstance(row["models"], int) and row["models"] > 0


def test_wheel_in_fresh_venv_finds_specs_and_schemas(tmp_path: Path) -> None:
    """Build the wheel, install it with no dependencies and no index into a fresh venv whose
    dependencies come from the dev venv's site-packages through a ``.pth`` line (a path added by a
    ``.pth`` file does not get its own ``.pth`` files processed, so the dev venv's editable finder is
    not installed), then use it from a directory outside the repository.  Takes ~10-20 s."""
    env = _env(tmp_path)

    # 1. Build from a copy of the sources, so the repository gets no build/ or *.egg-info.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=_BUILD_IGNORE)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist], src, env, timeout=300)
    wheels = list(dist.glob("specwire-*.whl"))
    assert len(wheels) == 1, wheels
    wheel = wheels[0]

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    for name in PROVIDERS:
        assert f"specwire/providers_d/{name}.yaml" in names
    catalogs = {f"specwire/providers_d/catalogs/{p.name}" for p in (ROOT / "providers.d" / "catalogs").glob("*.yaml")}
    assert catalogs and catalogs <= names, "the imported catalogs ship (a spec naming one fails without it)"
    bases = {f"specwire/providers_d/bases/{p.name}" for p in (ROOT / "providers.d" / "bases").glob("*.yaml")}
    assert bases and bases <= names, "the abstract specs ship (a spec extending one fails without it)"
    for schema in ("provider-spec.schema.json", "stream-event.schema.json", "render-output.schema.json"):
        assert f"specwire/schemas/{schema}" in names
    assert "specwire/__init__.py" in names and "specwire/cli/__init__.py" in names and "specwire/py.typed" in names
    shipped = {p.relative_to(ROOT / "samples").as_posix() for p in (ROOT / "samples").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped and {f"specwire/samples/{n}" for n in shipped} <= names, "the recorded samples ship"
    assert not [n for n in names if n.startswith(("tests/", "engine/", "providers.d/", "tools/"))], "only the specwire package ships"
    assert "specwire = specwire.cli:main" in entry_points
    assert "validate-spec = specwire.cli.validate:main" in entry_points

    # 2. A fresh venv (no pip of its own: the dev venv's pip installs into it).
    fresh = tmp_path / "fresh-venv"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(fresh)
    fresh_bin = fresh / ("Scripts" if os.name == "nt" else "bin")
    fresh_python = fresh_bin / ("python.exe" if os.name == "nt" else "python")
    _run([sys.executable, "-m", "pip", "--python", fresh_python, "install", "--no-deps", "--no-index", "--no-compile", "--disable-pip-version-check", wheel], tmp_path, env)

    fresh_site = Path(_run([fresh_python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path, env).stdout.strip())
    dev_site = Path(sysconfig.get_path("purelib"))
    assert fresh_site.is_dir() and fresh_site != dev_site
    (fresh_site / "_specwire_test_deps.pth").write_text(f"{dev_site}\n", encoding="utf-8")

    # 3. Use it from outside the repository.
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    rows = _providers(_run([fresh_bin / "specwire", "providers", "--json"], cwd, env).stdout)
    assert PROVIDERS <= set(rows)
    for name in PROVIDERS:
        assert rows[name]["source"] == "builtin" and rows[name]["error"] is None
        assert Path(str(rows[name]["file"])).resolve() == (fresh_site / "specwire" / "providers_d" / f"{name}.yaml").resolve()

    body = FIXTURES / "openai" / "chat-stream-text-usage-final-chunk" / "stream.sse"
    shutil.copy(body, cwd / "stream.sse")
    lines = _run([fresh_bin / "specwire", "replay", "openai", "stream.sse", "--json"], cwd, env).stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0]["type"] == "response_start" and events[-1]["type"] == "finish"
    assert events[-1]["response"]["text"] == "The capital of the UK is London."

    typo = cwd / "acme-typo.yaml"
    typo.write_text(
        "spec_version: 1\nprovider: acme-typo\nextends: openai\nstream:\n  events:\n    text:\n"
        "      when: \"data.choices[0].delta.content\"\n      emit: text_delta\n      delta: data.choices[0].delta.contnet\n",
        encoding="utf-8",
    )
    lint = subprocess.run([str(fresh_bin / "validate-spec"), typo.name], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert lint.returncode == 1 and "Traceback" not in lint.stderr, lint.stderr
    assert lint.stdout.startswith("acme-typo.yaml:9:14: error [mapping-null] stream.events.text.delta:"), lint.stdout

    check = textwrap.dedent(
        f"""
        import json, sys
        from importlib.resources import files
        from pathlib import Path
        import specwire
        from specwire.registry import SpecRegistry, builtin_dir

        site = Path({str(fresh_site)!r}).resolve()
        repo = Path({str(ROOT)!r}).resolve()

        def inside(path):
            path = Path(str(path)).resolve()
            assert site in path.parents, f"{{path}} is not inside the fresh venv"
            assert repo not in path.parents, f"{{path}} is inside the repository"
            return path

        inside(specwire.__file__)
        specs = inside(files("specwire.providers_d"))
        schemas = inside(files("specwire.schemas"))
        assert list(inside(files("specwire.samples")).glob("*/case.yaml"))
        inside(builtin_dir())
        assert {{p.stem for p in specs.glob("*.yaml")}} >= set({sorted(PROVIDERS)!r})
        for name in ("provider-spec.schema.json", "stream-event.schema.json", "render-output.schema.json"):
            json.loads((schemas / name).read_text(encoding="utf-8"))
        registry = SpecRegistry(user_config=False, env={{}})
        for provider in {sorted(PROVIDERS)!r}:
            assert registry.get(provider).models, provider
        assert not any("__editable__" in str(m) for m in sys.meta_path), "the dev venv's editable finder leaked in"
        plan = specwire.Client(registry=registry, env={{}}).build("gemini:gemini-x", "hi", stream=True, stream_mode="sse")
        assert plan.url.endswith(":streamGenerateContent?alt=sse"), plan.url
        print("ok")
        """
    )
    assert _run([fresh_python, "-c", check], cwd, env).stdout.strip() == "ok"


@pytest.mark.parametrize("script", ["specwire", "validate-spec"])
def test_console_scripts_are_installed(script: str) -> None:
    assert (BIN / script).exists(), f"{script} is not installed in {BIN}"
