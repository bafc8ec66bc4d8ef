"""The names that specs, lint and the engine share, each set defined once (docs/ARCHITECTURE.md
section 9.1).  Pure data: this module imports nothing but the standard library, so the schema
generator (``tools/gen_spec_schema.py``), the checks and the tests read it without loading the
engine.

Each set is the one place its names are declared.  ``tests/unit/test_vocabulary.py`` checks that
every module that uses a set agrees with it (the assembler's handlers and :data:`EMITS`, the
error classes and :data:`ERROR_CLASS_NAMES`, every lint rule id and warning kind the engine
writes), and ``tests/unit/test_schema_drift.py`` that ``schemas/provider-spec.schema.json`` is what
the generator writes from these sets, so a name cannot be added in one place only.

The sets:

* :data:`EMITS`: the ``emit`` of an event rule;
* :data:`RULE_FIELDS`, :data:`RULE_MAPS`: the fields of an event rule;
* :data:`GENERIC_PARAMS`: the generic call options a spec's ``params`` maps;
* :data:`FINISH_REASONS`: the unified finish reasons;
* :data:`ERROR_CLASS_NAMES`: the error classes a spec's ``errors.classes`` may name;
* :data:`WARNING_KINDS`: the ``kind`` of a :class:`~specwire.types.CallWarning`;
* :data:`LINT_RULES`, :data:`ROUTER_LINT_RULES`: the ``[rule]`` of a lint finding;
* :data:`OPERATIONS`, :data:`OPERATION_OPTIONS`, :data:`OPERATION_ITEM_FIELDS`: the operations
  besides chat;
* :data:`CAPABILITIES`: what a catalog entry says its model can take;
* :data:`ROLES`, :data:`PART_KINDS`: message roles and content part kinds (``request.roles``,
  ``request.parts``).
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "CAPABILITIES",
    "CONTENT_EVENT_TYPES",
    "EMITS",
    "ERROR_CLASS_NAMES",
    "FINISH_REASONS",
    "GENERIC_PARAMS",
    "LINT_RULES",
    "OPERATIONS",
    "OPERATION_ITEM_FIELDS",
    "OPERATION_OPTIONS",
    "PART_KINDS",
    "ROLES",
    "ROUTER_LINT_RULES",
    "RULE_FIELDS",
    "RULE_MAPS",
    "WARNING_KINDS",
]

# ---------------------------------------------------------------------------- event rules
#: The ``emit`` of an event rule (``stream.events`` / ``response.events``, docs/stream-rules.md):
#: the raw event kinds the assembler (:mod:`specwire.assemble`) handles, plus ``ignore`` (the rule
#: matches and nothing is emitted).
EMITS: tuple[str, ...] = (
    "response_metadata", "text_delta", "text", "reasoning_delta", "reasoning", "tool_call_start",
    "tool_call_delta", "tool_call", "provider_metadata", "provider_part", "part_end", "usage", "finish", "error",
    "done", "ignore", "logprobs", "choice",
)

#: The fields of an event rule evaluated as JMESPath on the frame (besides ``when`` and
#: ``foreach``), in the order the compiler reads them.
RULE_FIELDS: tuple[str, ...] = (
    "part_id", "id", "model", "delta", "text", "tool_call_id", "tool_name", "arguments",
    "provider_executed", "redacted", "finish_reason", "usage", "body", "patches", "finish_detail",
    "separate", "provider_type", "data", "warning", "streamed_into", "logprobs", "top_logprobs", "index",
)

#: The fields of an event rule that map keys to JMESPath: ``set`` (provider metadata merged into the
#: part or response) and ``append`` (strings appended to response metadata keys).
RULE_MAPS: tuple[str, ...] = ("set", "append")

# ---------------------------------------------------------------------------- call options
#: The generic call options, in the order ``params`` cases apply.  A spec's ``params`` section maps
#: each to wire fields (docs/ARCHITECTURE.md section 9.5).
GENERIC_PARAMS: tuple[str, ...] = (
    "max_output_tokens", "temperature", "top_p", "top_k", "stop_sequences", "seed", "presence_penalty",
    "frequency_penalty", "response_format", "reasoning", "tool_choice", "parallel_tool_calls", "user", "metadata",
    "logprobs", "top_logprobs", "n", "service_tier", "prediction", "code_execution",
)

#: The unified finish reasons (``FinishReason.unified``); a spec's ``finish_reasons`` maps the
#: provider's raw reasons to these.
FINISH_REASONS: tuple[str, ...] = ("stop", "length", "tool_calls", "content_filter", "error", "other")

#: The ``type`` of the content stream events (text, reasoning, tool calls; :mod:`specwire.types`):
#: after the first of them reaches the caller nothing is retried, and deadlines count from the last one.
CONTENT_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "text_start", "text_delta", "text_end", "reasoning_start", "reasoning_delta", "reasoning_end",
        "tool_call_start", "tool_call_delta", "tool_call_end",
    }
)

#: The ``capabilities`` a catalog entry may declare (``true``/``false``/``null``); a call relying on
#: one its model's entry denies gets an ``unsupported-capability`` warning (:mod:`specwire.capabilities`).
CAPABILITIES: tuple[str, ...] = ("tools", "vision", "reasoning", "json_schema", "audio", "pdf")

#: The message roles (``request.roles``, ``request.message_by_role``).
ROLES: tuple[str, ...] = ("system", "developer", "user", "assistant", "tool")

#: The content part kinds (the ``type`` of each part; ``request.parts.<kind>``).
PART_KINDS: tuple[str, ...] = ("text", "image", "document", "audio", "reasoning", "tool_call", "tool_result", "provider")

# ---------------------------------------------------------------------------- errors and warnings
#: The error classes a spec's ``errors.classes`` rules may name (:data:`specwire.errors.ERROR_CLASSES`
#: maps each to its class; docs/ARCHITECTURE.md section 6).
ERROR_CLASS_NAMES: tuple[str, ...] = (
    "APIStatusError", "BadRequestError", "ContextWindowExceededError", "ContentFilterError",
    "AuthenticationError", "PermissionDeniedError", "NotFoundError", "ConflictError",
    "RequestTooLargeError", "UnprocessableEntityError", "RateLimitError", "ServerError",
    "ServiceUnavailableError", "OverloadedError",
)

#: The ``kind`` of a :class:`~specwire.types.CallWarning` → what it reports.
WARNING_KINDS: MappingProxyType[str, str] = MappingProxyType({
    "unsupported-param": "an option the spec does not map, or maps as unsupported: not sent",
    "clamped-param": "an option outside the provider's range: the nearest bound was sent",
    "truncated-param": "a list option longer than the provider takes: the first items were sent",
    "adjusted-param": "an option the spec adjusts (a params case's `warn`)",
    "unsupported-capability": "the call sends what the model's catalog entry says it cannot take",
    "unknown-model": "a model id not in the provider's catalog: sent as given, cost unknown",
    "deprecated-model": "a model past (or near) its catalog end-of-life date",
    "bare-model": "a model name without a provider: which provider it resolved to",
    "token-estimate": "count_tokens returned an estimate, not the provider's count",
    "unmatched-event": "a frame no event rule matches (stream or response `unmatched: warn`)",
    "unknown-content": "a provider content block the spec does not know (a provider_part rule's `warning`)",
    "invalid-tool-arguments": "tool call arguments that are not a JSON object: kept as text",
})

# ---------------------------------------------------------------------------- lint
#: The ``[rule]`` of a spec finding (:class:`~specwire.spec.issues.SpecIssue`,
#: :class:`~specwire.errors.SpecError`) → what it checks.  ``validate-spec`` prints these.
LINT_RULES: MappingProxyType[str, str] = MappingProxyType({
    # the file and its YAML (specwire.spec.loader, specwire.spec.registered)
    "file": "the file can be read (and, registered, ends in .yaml or .yml)",
    "file-size": "the file is not larger than the loader's limit",
    "encoding": "the file is UTF-8",
    "empty": "the file is not empty",
    "yaml-syntax": "the YAML parses",
    "yaml-depth": "nesting stays under the loader's limit",
    "yaml-anchor": "no YAML anchors",
    "yaml-alias": "no YAML aliases (alias bombs), no mapping that contains itself",
    "yaml-tag": "no YAML tags (plain data only)",
    "yaml-merge": "no merge keys (<<)",
    "yaml-key": "mapping keys are plain strings",
    "yaml-date": "no unquoted dates",
    "yaml-truthy": "no YAML 1.1 booleans (yes, on…)",
    "yaml-octal": "no numbers with a leading zero",
    "yaml-sexagesimal": "no YAML 1.1 base-60 numbers",
    "yaml-value": "a tagged scalar holds a valid value",
    "duplicate-key": "no key appears twice in one mapping",
    "registered-value": "a registered mapping holds only YAML data",
    # the spec's content (specwire.spec.checks, specwire.spec.compile)
    "spec": "the spec compiles (a finding without a more precise rule)",
    "schema": "the tree matches schemas/provider-spec.schema.json",
    "jmespath": "every JMESPath expression compiles",
    "template": "every template compiles and passes the load-time refusals",
    "template-variable": "a template reads only the names its place provides",
    "unknown-auth-scheme": "the auth scheme is a registered hook",
    "unknown-framing": "the framing is a registered hook",
    "rule-fields": "an event rule has the fields its emit needs",
    "param-rule": "a params case sets something, or is unsupported or refused; clamp bounds ordered",
    "operation-field": "an operation maps only its response fields and options, and all it needs",
    "duplicate-model": "a model id or alias appears once",
    "unknown-profile": "a model names a defined profile",
    "bare-name-pattern": "bare-name patterns start with a literal prefix and close their sets",
    "default-model": "default_model is in the catalog",
    "provider-alias-clash": "a provider alias is unique and never a provider id",
    "credential-host": "a built-in provider's key variable is read only for a host it is bound to",
    "settings-secret": "no setting reads a secret into the template context",
    # the search path and extends (specwire.registry)
    "provider-name": "`provider` equals the file name stem",
    "abstract-provider": "an abstract spec (a file of a bases/ folder) names no `provider`",
    "builtin-shadowing": "a spec replacing a built-in provider or abstract spec says `override: true`",
    "builtin-override": "this file overrides a built-in provider",
    "unknown-extends": "`extends` names a provider or an abstract spec (bases/<stem>) on the search path",
    "extends-cycle": "`extends` forms no cycle and names a spec without errors",
    "extends-failed": "the spec this one extends failed to load",
    "duplicate-provider": "one folder defines a provider once",
    "writable-folder": "a spec folder is not writable by group or others",
    "symlink-escape": "a spec or catalog symlink stays inside its folder",
    "not-a-file": "a spec path is a regular file",
    # imported catalogs (specwire.catalogs)
    "unknown-catalog": "`catalog` names a catalog file",
    "catalog": "a catalog file holds a `models` list of entries with string ids",
    # sample replay (specwire.spec.samples, validate-spec --samples)
    "sample-replay": "every sample of the spec's family replays through it",
    "sample-unused": "every sample given fits a spec checked",
    "mapping-null": "a rule's required fields do not resolve to null on every frame it matched in the samples",
    "usage-unmapped": "every usage field of a sample is mapped or listed in usage.raw_fields",
})

#: The ``[rule]`` of a router config finding (:mod:`specwire.router.config`) → what it checks.
ROUTER_LINT_RULES: MappingProxyType[str, str] = MappingProxyType({
    "router-schema": "the config matches schemas/router-config.schema.json",
    "router-duplicate": "deployment ids, group and alias names are unique",
    "router-unknown-ref": "a fallback, group member, alias or route names something defined",
    "router-self-fallback": "a group does not fall back to itself",
    "router-empty-group": "a group selects at least one deployment",
    "router-alias-cycle": "aliases form no cycle",
    "router-regex": "a route's regex compiles",
    "router-model": "a deployment's model names one provider",
    "router-unknown-provider": "a deployment's provider is known",
    "router-cache": "the cache backend has what it needs",
    "router-state": "the state backend has what it needs",
    "router-secret": "no credential is written in the config",
    "router-context-window": "a context-window fallback can take a larger prompt",
})

# ---------------------------------------------------------------------------- operations
#: Each operation besides chat → ``(required, optional)`` response fields its spec entry maps
#: (docs/ARCHITECTURE.md section 4, "Operations").  ``embed``: ``vectors`` is a list of float lists
#: (or base64 strings), one per input, in input order; ``count_tokens``: ``input_tokens`` is the
#: count the provider reports for the would-be request; ``list_models``: ``models`` is a list of
#: objects whose per-item fields are :data:`OPERATION_ITEM_FIELDS`.
OPERATIONS: MappingProxyType[str, tuple[tuple[str, ...], tuple[str, ...]]] = MappingProxyType({
    "embed": (("vectors",), ("input_tokens", "total_tokens", "model", "index")),
    "count_tokens": (("input_tokens",), ()),
    "list_models": (("models", "id"), ("created", "owned_by", "display_name", "context_window", "max_output_tokens", "next_page")),
})

#: The generic options of each operation (what its ``accepts:`` may name).
OPERATION_OPTIONS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "embed": ("dimensions", "input_type", "truncate", "user"),
    "count_tokens": (),
    "list_models": (),
})

#: The ``list_models`` response fields evaluated on each item of ``models`` rather than on the body.
OPERATION_ITEM_FIELDS: frozenset[str] = frozenset({"id", "created", "owned_by", "display_name", "context_window", "max_output_tokens"})
