"""The committed spec schema is what ``tools/gen_spec_schema.py`` writes, and its name sets are
those of :mod:`specwire.vocabulary` (project issue 13).

What this protects: ``schemas/provider-spec.schema.json`` is generated, so a hand edit of the JSON,
or a generator change without regenerating, fails here; and the enums a spec is checked against
(emits, rule fields, generic params, finish reasons, error classes, operations…) are the
vocabulary's, so a name added to the vocabulary alone, or to the schema alone, fails too.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from types import ModuleType
from typing import Any

from specwire import vocabulary
from tests.conftest import ROOT

SCHEMA_FILE = ROOT / "schemas" / "provider-spec.schema.json"


@cache
def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_spec_schema", ROOT / "tools" / "gen_spec_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _committed() -> Any:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_the_committed_schema_is_what_the_generator_writes() -> None:
    rendered: str = _generator().render()
    assert SCHEMA_FILE.read_text(encoding="utf-8") == rendered, "run: .venv/bin/python tools/gen_spec_schema.py"


def test_rule_emits_and_fields_are_the_vocabulary() -> None:
    defs = _committed()["$defs"]
    for name in ("rule", "case"):
        assert defs[name]["properties"]["emit"]["enum"] == list(vocabulary.EMITS)
        own = {"event", "when", "once", "foreach", "cases", "emit", "description"}
        assert set(defs[name]["properties"]) - own == {*vocabulary.RULE_FIELDS, *vocabulary.RULE_MAPS}


def test_params_finish_reasons_and_error_classes_are_the_vocabulary() -> None:
    schema = _committed()
    props = schema["properties"]
    assert list(props["params"]["properties"]) == list(vocabulary.GENERIC_PARAMS)
    assert list(schema["$defs"]["model"]["properties"]["params"]["properties"]) == list(vocabulary.GENERIC_PARAMS)
    unified, with_tools = props["finish_reasons"]["additionalProperties"]["oneOf"]
    assert unified["enum"] == list(vocabulary.FINISH_REASONS)
    assert with_tools["properties"]["default"]["enum"] == list(vocabulary.FINISH_REASONS)
    rule = props["errors"]["properties"]["classes"]["additionalProperties"]["oneOf"][0]
    assert rule["properties"]["class"]["enum"] == list(vocabulary.ERROR_CLASS_NAMES)


def test_operations_roles_parts_and_capabilities_are_the_vocabulary() -> None:
    schema = _committed()
    props = schema["properties"]
    operations = props["operations"]["properties"]
    assert list(operations) == list(vocabulary.OPERATIONS)
    for name, (required, optional) in vocabulary.OPERATIONS.items():
        entry = operations[name]["oneOf"][0]
        assert list(entry["properties"]["response"]["properties"]) == [*required, *optional]
        assert entry["properties"]["response"].get("required", []) == list(required)
        assert entry["properties"]["accepts"]["items"]["enum"] == list(vocabulary.OPERATION_OPTIONS[name])
    request = props["request"]["properties"]
    assert list(request["roles"]["properties"]) == list(vocabulary.ROLES)
    assert list(request["message_by_role"]["properties"]) == list(vocabulary.ROLES)
    assert list(request["parts"]["properties"]) == list(vocabulary.PART_KINDS)
    capabilities = schema["$defs"]["model"]["properties"]["capabilities"]["properties"]
    assert list(capabilities) == list(vocabulary.CAPABILITIES)


def test_usage_fields_and_schema_rule_sets_come_from_their_modules() -> None:
    from specwire.accounting import USAGE_NUMBERS
    from specwire.structured import SCHEMA_RULES

    props = _committed()["properties"]
    assert list(props["usage"]["properties"]["fields"]["properties"]) == list(USAGE_NUMBERS)
    param_rule = _committed()["$defs"]["param_rule"]["properties"]
    assert param_rule["strict_schema"]["enum"] == list(SCHEMA_RULES)
