"""Regenerate schemas/provider-spec.schema.json (the JSON Schema of a provider spec).

The schema is written here as Python data because it is easier to keep readable and consistent
than hand-edited JSON.  Every name set in it (emits, rule fields, generic params, finish reasons,
error classes, operations…) comes from specwire.vocabulary (and the usage fields and schema rule
sets from the modules that define them), never a copy; tests/unit/test_schema_drift.py fails when
the committed file differs from what this script would write.
Run, with the package installed (the dev set-up): .venv/bin/python tools/gen_spec_schema.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from specwire import vocabulary
from specwire.accounting import USAGE_NUMBERS
from specwire.structured import SCHEMA_RULES as _SCHEMA_RULE_FUNCTIONS
from specwire.gateway.inbound import ROLES as INBOUND_ROLES
from specwire.gateway.wire import CALL_FIELDS as SERVE_CALL_FIELDS
from specwire.gateway.wire import OPERATIONS as SERVE_OPERATIONS
from specwire.gateway.wire import STREAM_KINDS as SERVE_STREAM_KINDS
from specwire.router.embed import EMBED_PARAMS
from specwire.types import Request
from specwire.vocabulary import ERROR_CLASS_NAMES, FINISH_REASONS, GENERIC_PARAMS, OPERATION_OPTIONS, OPERATIONS

STR = {"type": "string"}
JMES = {"type": "string", "description": "a JMESPath expression (compiled at load time)"}
TEMPLATE = {"type": "string", "description": "a Jinja2 template or expression"}
TREE = {"description": "a YAML tree whose string leaves are Jinja2 templates"}
# A body is a mapping, never JSON text: a string template would be sent as one JSON string, and its
# {{ }} would not be JSON-escaped (docs/RELIABILITY.md T1, JSON injection).  null: a spec that `extends`
# another clears the parent's stream body with it.
BODY = {"type": "object", "description": "the JSON body as a YAML mapping whose string leaves are Jinja2 templates (never JSON text)"}
STREAM_BODY = {"type": ["object", "null"], "description": "merged into the request body when streaming: a YAML mapping whose string leaves are Jinja2 templates (never JSON text); null: none"}
BOOL = {"type": "boolean"}
NUM = {"type": "number"}
INT = {"type": "integer", "minimum": 0}
STR_OR_LIST = {"oneOf": [STR, {"type": "array", "items": STR, "minItems": 1}]}
UNIFIED = {"enum": list(FINISH_REASONS)}
EMITS = list(vocabulary.EMITS)
ROLES = list(vocabulary.ROLES)
PART_KINDS = list(vocabulary.PART_KINDS)
GENERIC = list(GENERIC_PARAMS)
ERROR_CLASSES = list(ERROR_CLASS_NAMES)
# the rule sets of specwire.structured.SCHEMA_RULES
SCHEMA_RULES = list(_SCHEMA_RULE_FUNCTIONS)
# the numeric attributes of specwire.types.Usage
USAGE_FIELDS = list(USAGE_NUMBERS)


def obj(props: dict, required: list[str] | None = None, **extra) -> dict:
    out = {"type": "object", "properties": props, "additionalProperties": False, **extra}
    if required:
        out["required"] = required
    return out


def string_map(values: dict) -> dict:
    return {"type": "object", "additionalProperties": values}


# descriptions of the event rule fields (specwire.vocabulary.RULE_FIELDS are JMESPath, RULE_MAPS maps
# of key -> JMESPath); a map needs one, a field may have one
RULE_FIELD_NOTES = {
    "patches": "a list of {path: JSONPath like $.a.b[0], append: str, value: any, null: bool}: argument patches for a tool call",
    "set": "provider metadata to merge into the part (or, on response_metadata, the response): key -> JMESPath",
    "append": "response_metadata: strings appended to response metadata keys (streamed pieces)",
    "provider_type": "provider_part: the provider's type name of the block",
    "data": "provider_part: the block as sent (an object)",
    "warning": "provider_part: a warning to report when the part opens (a block type the spec does not know)",
    "streamed_into": "provider_part: the data key that fragments streamed to this part fill (parsed as JSON when they are)",
    "separate": "text/reasoning without part_id: when truthy, this fragment is a part of its own (ends the open part before it and is closed after it), e.g. a Gemini part carrying a thoughtSignature",
    "logprobs": "logprobs: the list of token entries {token, logprob, bytes?, top_logprobs?}; choice: that choice's entries",
    "top_logprobs": "logprobs/choice: a list parallel to `logprobs` holding each position's alternatives (providers that send them apart)",
    "index": "choice: the index of an extra completion (n > 1)",
    "finish_detail": "finish: a detail refining the raw finish reason; `<raw>:<detail>` is looked up in finish_reasons first",
}
assert set(RULE_FIELD_NOTES) <= {*vocabulary.RULE_FIELDS, *vocabulary.RULE_MAPS}, "a note for a field the vocabulary does not declare"
RULE_FIELDS = {
    **{f: {**JMES, "description": RULE_FIELD_NOTES[f]} if f in RULE_FIELD_NOTES else JMES for f in vocabulary.RULE_FIELDS},
    **{m: {**string_map(JMES), "description": RULE_FIELD_NOTES[m]} for m in vocabulary.RULE_MAPS},
}
CASE = obj({"when": JMES, "emit": {"enum": EMITS}, **RULE_FIELDS}, ["emit"])
RULE = obj(
    {
        "event": {**STR, "description": "only frames with this SSE event name"},
        "when": JMES,
        "once": BOOL,
        "foreach": JMES,
        "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}, "minItems": 1},
        "emit": {"enum": EMITS},
        "description": STR,
        **RULE_FIELDS,
    }
)
EVENTS = {"type": "object", "additionalProperties": {"oneOf": [{"$ref": "#/$defs/rule"}, {"type": "null"}]}}

PART_RULE = obj(
    {
        "when": TEMPLATE,
        "value": TREE,
        "into": STR,
        "as_message": TREE,
        "drop": BOOL,
        "error": {**STR, "description": "refuse the part: raise RequestBuildError with this message"},
        "after": {**TREE, "description": "an extra block placed right after this part's block (omit: none), e.g. a Bedrock cachePoint"},
    }
)
PART_RULES = {"oneOf": [{"$ref": "#/$defs/part_rule"}, {"type": "array", "items": {"$ref": "#/$defs/part_rule"}, "minItems": 1}]}

PATH_MAP = {**string_map(TREE), "description": "dotted wire path -> template tree"}
PARAM_RULE = obj(
    {
        "when": TEMPLATE,
        "to": STR,
        "value": TREE,
        "set": PATH_MAP,
        "set_default": PATH_MAP,
        "append": {**PATH_MAP, "description": "dotted wire path -> a list template whose items are appended to the list there (created when absent)"},
        "clamp": {"type": "array", "items": NUM, "minItems": 2, "maxItems": 2},
        "max_items": INT,
        "default": TREE,
        "required": BOOL,
        "unsupported": STR,
        "error": {**STR, "description": "refuse the call with this message (RequestBuildError): a value the provider takes but the engine cannot return"},
        "warn": STR,
        "strict_schema": {"enum": SCHEMA_RULES, "description": "rewrite value.schema by these named rules (engine/structured.py) before the case renders"},
        "output_tool": {**TEMPLATE, "description": "forced-tool structured output: the input of the call of this tool is the reply"},
    }
)
PARAM = {"oneOf": [{"$ref": "#/$defs/param_rule"}, {"type": "array", "items": {"$ref": "#/$defs/param_rule"}, "minItems": 1}, {"type": "null"}]}
PARAMS = obj({name: PARAM for name in GENERIC})

STREAM_MODE = obj(
    {
        "framing": STR,
        "path": TEMPLATE,
        "query": string_map(TREE),
        "body": STREAM_BODY,
        "done_data": STR,
        "complete_on": {"type": "array", "items": {"enum": ["done", "finish"]}, "minItems": 1},
        "done_after": {"type": "array", "items": {"enum": ["finish"]}},
    }
)
STREAM = obj(
    {
        **STREAM_MODE["properties"],
        "events": EVENTS,
        "unmatched": {"enum": ["ignore", "warn", "error"]},
        "modes": string_map(STREAM_MODE),
    }
)
RESPONSE = obj({"events": EVENTS, "unmatched": {"enum": ["ignore", "warn", "error"]}, "use_stream_events": BOOL})

PRICES = {
    "input": {"type": ["number", "null"], "minimum": 0},
    "output": {"type": ["number", "null"], "minimum": 0},
    "cache_read": {"type": ["number", "null"], "minimum": 0},
    "cache_write": {"type": ["number", "null"], "minimum": 0},
    **{
        k: {"type": ["number", "null"], "minimum": 0, "description": d + " (USD per million tokens; left out: priced with the enclosing count; null: unknown)"}
        for k, d in (
            ("cache_write_long", "cache writes with the longer retention (Anthropic/Bedrock 1 h, OpenAI 12 h)"),
            ("input_audio", "audio input tokens"),
            ("output_audio", "audio output tokens"),
            ("input_image", "image input tokens"),
            ("output_image", "image output tokens"),
            ("reasoning", "reasoning tokens, when billed apart from output"),
            ("citation", "citation (search-result) tokens"),
        )
    },
    "per_request": {"type": ["number", "null"], "minimum": 0, "description": "USD per request"},
    "request_fees": {
        "type": "array",
        "description": "conditional USD per request: the first whose `when` holds replaces per_request",
        "items": obj({"when": {**JMES, "description": "JMESPath over {settings, usage, model, time} (docs/usage.md)"}, "usd": {"type": "number", "minimum": 0}, "note": STR}, ["usd"]),
    },
    "per_1k_searches": {"type": ["number", "null"], "minimum": 0, "description": "USD per thousand searches (Usage.search_requests)"},
    "multipliers": {
        "type": "array",
        "description": "factors applied to the whole cost when their `when` holds (regional endpoints, off-peak hours…)",
        "items": obj({"when": {**JMES, "description": "JMESPath over {settings, usage, model, time} (docs/usage.md)"}, "factor": {"type": "number", "minimum": 0}, "note": STR}, ["factor", "when"]),
    },
}
MODEL = obj(
    {
        "id": STR,
        "aliases": {"type": "array", "items": STR},
        "display_name": STR,
        "context_window": {"type": ["integer", "null"], "minimum": 1},
        "max_output_tokens": {"type": ["integer", "null"], "minimum": 1},
        "capabilities": obj({k: {"type": ["boolean", "null"]} for k in vocabulary.CAPABILITIES}),
        "pricing": obj(
            {
                **PRICES,
                "tiers": {"type": "array", "items": obj({"above_input_tokens": INT, **PRICES}, ["above_input_tokens"])},
                "source": STR,
                "as_of": STR,
            },
            description="USD per million tokens",
        ),
        "deprecated": obj({"end_of_life": STR, "replacement": STR, "note": STR}),
        "profile": {**STR, "description": "a name in `profiles`: its params apply to this model"},
        "params": PARAMS,
        "source": {**STR, "description": "where the entry's facts come from (an imported catalog: its dataset and release)"},
        "as_of": {**STR, "description": "the date of the entry's facts, YYYY-MM-DD"},
        "catalog": {**STR, "description": "the imported catalog the entry came from (set when merging; absent: written by hand)"},
    },
    ["id"],
)
PROFILE = obj({"description": STR, "params": PARAMS})
def operation(name: str) -> dict:
    required, optional = OPERATIONS[name]
    return {"oneOf": [obj(
        {
            "docs": {**STR, "description": "the API reference of this endpoint"},
            "base_url": {**TEMPLATE, "description": "when the endpoint lives on another host than the spec's base_url"},
            "method": {"enum": ["GET", "POST"]},
            "path": TEMPLATE,
            "query": string_map(TREE),
            "headers": string_map(TEMPLATE),
            "body": BODY,
            "accepts": {"type": "array", "items": {"enum": OPERATION_OPTIONS[name]}, "description": "the operation options this provider takes; others are dropped with a warning"},
            "max_batch": {"oneOf": [{"type": "integer", "minimum": 1}, TEMPLATE], "description": "the most inputs one request may carry (larger calls are split): an integer, or a template of model/settings/model_info giving one"},
            **({"item": {"description": "a YAML tree whose string leaves are Jinja2 templates, rendered once per input (input, index): the template value items"}} if name == "embed" else {}),
            **({"id_prefix": {**STR, "description": "taken off the start of each listed id (Gemini lists models/gemini-…)"}} if name == "list_models" else {}),
            "response": obj({f: JMES for f in required + optional}, required),
        },
        ["path", "response"],
    ), {"type": "null"}]}

# `serve:` (engine/gateway/wire.py): how `specwire serve` speaks this API to its own clients
SERVE_FIELD = obj({
    "option": {"enum": [name for name in Request.model_fields if name != "messages"] + [p for p in EMBED_PARAMS if p not in Request.model_fields],
               "description": "the unified call option (a field of specwire.types.Request, or an embed option) the field fills"},
    "call": {"enum": list(SERVE_CALL_FIELDS), "description": "or: what it says about the call itself"},
    "value": {**TEMPLATE, "description": "an expression over `value` (the field's value) giving what is set (default: the value)"},
    "unless": {**STR, "description": "skip this field when that field is given too"},
    "refuse": {**TEMPLATE, "description": "an expression over `value`: true refuses the request (400) with `message`"},
    "message": STR,
    "each": {"description": "a YAML tree of templates over `item`: each entry of a list value mapped through it (e.g. tools in another API's shape)"},
    "set": {**string_map(TEMPLATE), "description": "further unified options this field sets, each an expression over `value` (none or omit: not set)"},
})
# the inbound keys of a serve request (engine/gateway/inbound.py)
INBOUND_RULE = obj({
    "when": {**TEMPLATE, "description": "an expression over `block` and `role`: the rule applies when it is true"},
    "part": {"description": "a YAML tree of templates over `block` and `role`: the unified part (a mapping with its `type`)"},
    "nested": {**string_map(STR), "description": "part field -> the block's wire field holding blocks itself, read with the same rules"},
    "json": {**string_map(STR), "description": "part field -> the block's wire field holding JSON text, parsed (a function call's arguments)"},
    "role": {"enum": list(INBOUND_ROLES), "description": "the part goes in a message of its own with this role"},
    "merge": {**BOOL, "description": "with role: join the message before when it has the same role"},
    "drop": {**BOOL, "description": "the block is read and left out"},
    "refuse": {**STR, "description": "the block is refused (400) with this text"},
})
SERVE_INBOUND = {
    "system": {"oneOf": [STR, obj({"field": STR, "role": {"enum": list(INBOUND_ROLES)}}, ["field"])],
               "description": "a field whose value (a string or blocks) opens the conversation as one message (role: system by default)"},
    "items": {**obj({
        "kind": {**STR, "description": "the field naming an entry's kind (absent, or `message`: a message; else read by the blocks rule of that name)"},
        "text": {"enum": list(INBOUND_ROLES), "description": "a plain string instead of a list: one message of this role"},
        "message": obj({
            "role": {**STR, "description": "the role field (default role)"},
            "roles": {"oneOf": [{"type": "array", "items": {"enum": list(INBOUND_ROLES)}}, string_map({"enum": list(INBOUND_ROLES)})],
                      "description": "the wire roles a message may have (a mapping: wire -> unified)"},
            "content": {**STR, "description": "the content field (default content): a string or a list of blocks"},
        }),
    }), "description": "how each entry of the messages field is read"},
    "blocks": {**string_map({"oneOf": [INBOUND_RULE, {"type": "array", "items": INBOUND_RULE, "minItems": 1}]}),
               "description": "content blocks (and non-message entries) by their `type`: the first rule whose `when` holds"},
}
SERVE_SSE = obj({
    "data": {"description": "a YAML tree of templates sent as JSON, or a string sent as it is"},
    "event": {**TEMPLATE, "description": "an expression naming the SSE event (none: data lines only)"},
    "when": {**TEMPLATE, "description": "an expression: the event is sent only when it is true"},
}, ["data"])
SERVE_ENDPOINT = obj({
    "operation": {"enum": list(SERVE_OPERATIONS)},
    "path": {"type": "string", "pattern": "^/", "description": "the HTTP path the gateway serves it at"},
    "request": obj({
        "model": {**STR, "description": "the wire field naming the model"},
        "messages": {**STR, "description": "the wire field holding the messages (chat, count_tokens)"},
        "inputs": {**STR, "description": "the wire field holding the text or texts (embeddings)"},
        **SERVE_INBOUND,
        "like": {**STR, "description": "start from the named endpoint's request section (this one's keys win)"},
        "fields": {"oneOf": [string_map(SERVE_FIELD), {"type": "array", "items": STR}],
                   "description": "every other field the endpoint takes; any other is refused (with like: a list picks the named endpoint's fields)"},
    }),
    "reply_id": {**TEMPLATE, "description": "the reply's id, over `request_id` (default chatcmpl-{{ request_id }})"},
    "parts": {**string_map(TREE), "description": "each part of a reply by its type (over part, index, id), in order, as `parts`; a type without a tree is left out"},
    "response": {**BODY, "description": "the reply, a tree of templates"},
    "tool_call": {**BODY, "description": "each tool call of a reply (over `call`)"},
    "usage": {**BODY, "description": "a reply's usage (over `usage`, the unified Usage fields)"},
    "model": {**BODY, "description": "each entry of a models reply (over `name`)"},
    "embedding": {**BODY, "description": "each vector of an embeddings reply (over `index`, `vector`)"},
    "finish_reasons": {**string_map(STR), "description": "the provider's raw finish reason (looked up first) or the unified one -> the wire's (`default` for the others)"},
    "stream": obj({
        "base": {**BODY, "description": "merged under every JSON event"},
        "events": obj({kind: {"type": "array", "items": SERVE_SSE} for kind in SERVE_STREAM_KINDS}),
    }, ["events"]),
}, ["operation", "path", "response"])

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://specwire.dev/schemas/provider-spec.schema.json",
    "title": "specwire provider spec (spec_version 1)",
    "description": "One YAML file per wire API. See docs/ARCHITECTURE.md section 4 and the README.",
    "type": "object",
    "additionalProperties": False,
    "required": ["spec_version", "provider", "base_url"],
    # a chat API needs request, response and stream; a provider without one (chat: false) declares operations
    "if": {"properties": {"chat": {"const": False}}, "required": ["chat"]},
    "then": {"required": ["operations"]},
    "else": {"required": ["request", "response", "stream"]},
    "properties": {
        "spec_version": {"const": 1},
        "chat": {**BOOL, "description": "false: the provider has no chat API (an embeddings-only provider); the spec declares only operations, and chat calls raise UnsupportedOperationError"},
        "provider": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"},
        "display_name": STR,
        "description": STR,
        "docs": STR,
        "extends": STR,
        "override": BOOL,
        "bare_names": obj(
            {
                "patterns": {"type": "array", "items": STR, "description": "fnmatch globs (case-sensitive, e.g. gpt-*, o[0-9]*) of model ids this provider serves by a bare name when no catalog lists the id"},
                "priority": {**INT, "description": "rank among specs that list or match a bare name: the vendor's own API highest, platforms that resell it lower (default 0)"},
            },
            description="how a bare model name (no provider: prefix) picks this provider; not inherited",
        ),
        "default_model": {**STR, "description": "the model a bare provider id or alias (complete('xai', ...)) uses; not inherited"},
        "provider_aliases": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"}, "description": "other names of this provider, usable as a bare name and in alias:model refs (aliyun -> alibaba); unique across specs, never a provider id; not inherited"},
        "metadata_key": STR,
        "base_url": TEMPLATE,
        "env": obj({"api_key": STR_OR_LIST, "base_url": STR_OR_LIST}),
        "settings": string_map(obj({"env": STR_OR_LIST, "default": {}, "description": STR, "required": BOOL})),
        "auth": obj(
            {
                "scheme": STR,
                "name": {**STR, "description": "header: the header that carries the key"},
                "param": {**STR, "description": "query: the query parameter that carries the key"},
                "prefix": {**STR, "description": "header: text before the key, e.g. 'Bearer '"},
                "service": {**STR, "description": "aws-sigv4: the signing service name, e.g. bedrock"},
                "scopes": {"type": "array", "items": STR, "description": "google-oauth / azure-ad: OAuth scopes"},
                "optional": {**BOOL, "description": "no key found: send the request without credentials (local servers that may or may not require one)"},
            },
            ["scheme"],
        ),
        "headers": string_map(TEMPLATE),
        "request": obj(
            {
                "method": {"enum": ["GET", "POST", "PUT", "PATCH"]},
                "path": TEMPLATE,
                "query": string_map(TREE),
                "body": BODY,
                "system": obj({"placement": {"enum": ["messages", "top"]}, "join": STR}),
                "roles": obj({r: STR for r in ROLES}),
                "merge_consecutive": STR,
                "message": TREE,
                "message_by_role": obj({r: TREE for r in ROLES}),
                "parts": obj({k: PART_RULES for k in PART_KINDS}),
                "tool": TREE,
                "tool_after": {**TREE, "description": "an extra entry placed right after a tool definition (omit: none); sees `tool` and `meta`"},
            },
            ["path", "body"],
        ),
        "params": PARAMS,
        "stream": STREAM,
        "response": RESPONSE,
        "finish_reasons": string_map({"oneOf": [UNIFIED, obj({"default": UNIFIED, "with_tool_calls": UNIFIED}, ["default"])]}),
        "usage": obj(
            {
                "fields": obj({f: {"oneOf": [JMES, {"type": "array", "items": JMES, "minItems": 1}]} for f in USAGE_FIELDS}),
                "billed_fields": {
                    **obj({f: {"oneOf": [JMES, {"type": "array", "items": JMES, "minItems": 1}]} for f in USAGE_FIELDS}),
                    "description": "what the provider bills, when it differs from the token counts (cost uses these)",
                },
                "input_includes_cache": BOOL,
                "output_includes_reasoning": BOOL,
                "snapshot": {**BOOL, "description": "each usage object replaces the previous one (cumulative snapshots) instead of overlaying it"},
                "raw_fields": {
                    **string_map({"type": ["string", "null"]}),
                    "description": "usage-object paths (a.b, list items as a[].b) kept in Usage.raw on purpose -> why; validate-spec reports a sample's usage field neither mapped nor listed here (null: un-list)",
                },
            }
        ),
        "errors": obj(
            {
                "message": JMES,
                "code": JMES,
                "type": JMES,
                "param": JMES,
                "request_id": JMES,
                "retry_after": JMES,
                "request_id_headers": {"type": "array", "items": STR},
                "type_header": {**STR, "description": "a response header naming the error type when the body does not (AWS x-amzn-ErrorType)"},
                "classes": string_map(
                    {"oneOf": [obj({"when": JMES, "status": {"oneOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]}, "class": {"enum": ERROR_CLASSES}}, ["class"]), {"type": "null"}]}
                ),
            }
        ),
        "profiles": {**string_map(PROFILE), "description": "named parameter overrides shared by several catalog models"},
        "retry": obj(
            {
                "statuses": {"type": "array", "items": {"type": "integer", "minimum": 100, "maximum": 599}, "description": "HTTP statuses worth retrying (default 408, 429, 500, 502, 503, 504, 529)"},
                "idempotency_header": {**STR, "description": "a header carrying one UUID per logical call, reused on every retry"},
            }
        ),
        "models": {"type": "array", "items": {"$ref": "#/$defs/model"}},
        # the local tokenizer of the spec's model families (engine/tokens.py); inherited under extends
        "tokenizer": {**obj(
            {
                "library": {"enum": ["tiktoken"]},
                "docs": {**STR, "description": "where the encodings and the framing come from"},
                "encodings": {"type": "array", "items": obj(
                    {"models": {"type": "array", "items": STR, "minItems": 1, "description": "fnmatch globs of model ids (case-sensitive)"}, "encoding": STR},
                    ["models", "encoding"],
                ), "description": "the first entry whose glob matches the model id names its encoding"},
                "per_message": {**INT, "description": "tokens of each message's framing"},
                "per_name": {**INT, "description": "more tokens for a message with a name"},
                "reply_priming": {**INT, "description": "tokens priming the reply, once per request"},
            },
            ["library", "encodings"],
        ), "description": "count_tokens and the Router's rate limits count with this tokenizer when no count endpoint answers (the tokenizers extra)"},
        "operations": {
            **obj({name: operation(name) for name in OPERATIONS}),
            "description": "requests besides chat, each with its own request template and response fields (docs/ARCHITECTURE.md section 4); inherited under extends (null removes one)",
        },
        "serve": {
            **obj({
                "endpoints": {**string_map(SERVE_ENDPOINT), "description": "the endpoints, by name"},
                "error": {**BODY, "description": "an error body (over message, type, code, param, status)"},
                "error_types": {**string_map(STR), "description": "the gateway's error kind -> the wire's error type (`default` for the others)"},
            }, ["endpoints", "error"]),
            "description": "how `specwire serve` speaks this API to its clients (engine/gateway/wire.py, docs/gateway.md); not inherited under extends",
        },
        "catalog": {
            "description": "an imported catalog (catalogs/<name>.yaml, generated by tools/import_catalog.py) merged under `models`; the spec's own entries win; not inherited",
            "oneOf": [
                {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"},
                obj(
                    {
                        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"},
                        "include": {"type": "array", "items": STR, "description": "fnmatch globs of the imported ids to take (default: all)"},
                        "profiles": {
                            "type": "array",
                            "description": "a profile by model-id pattern, for every entry that names none; the first rule that matches wins (profile null: none)",
                            "items": obj({"match": {"type": "array", "items": STR, "minItems": 1}, "profile": {"type": ["string", "null"]}}, ["match", "profile"]),
                        },
                    },
                    ["name"],
                ),
            ],
        },
    },
    "$defs": {"rule": RULE, "case": CASE, "part_rule": PART_RULE, "param_rule": PARAM_RULE, "model": MODEL},
}

#: Keys a partial spec (one that `extends` another) may leave out; they come from the parent.
INHERITED_REQUIRED = ("base_url", "request", "response", "stream")


def render() -> str:
    return json.dumps(SCHEMA, indent=2, sort_keys=False) + "\n"


def main() -> int:
    target = Path(__file__).resolve().parent.parent / "schemas" / "provider-spec.schema.json"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
