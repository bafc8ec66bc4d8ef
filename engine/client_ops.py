"""The operations besides chat on a :class:`~specwire.Client`: ``embed`` and ``list_models``
(docs/ARCHITECTURE.md section 4, "Operations").  The Client's methods are thin wrappers around
these functions; the request of each is built by the spec's ``operations`` entry
(:mod:`specwire.operations`, pure) and sent by :mod:`specwire.op_calls`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .accounting import compute_cost
from .errors import ConfigError, RequestBuildError, ResponseParseError, UnsupportedOperationError
from .op_calls import OperationCall, send_async, send_sync
from .op_types import EmbeddingResponse, ListedModel, TokenCount
from .operations import batch_size, build_operation, chat_context, operation_of, parse_operation
from .render import TemplateFailure
from .retry import Timeouts
from .spec.compile import CompiledSpec
from .spec.operations import OperationSpec
from .types import CallWarning, Usage

if TYPE_CHECKING:
    from .call_inputs import CallInputs, Resolver
    from .registry import SpecRegistry
    from .request import RequestPlan
    from .retry import RetryPolicy
    from .transport import Transport


@dataclass(frozen=True)
class Host:
    """What an operation needs of its :class:`~specwire.Client`: the registry, the transport, the
    retry policy and timeouts, the Client's :class:`~specwire.call_inputs.Resolver` (settings,
    base URL and key, resolved once per call) and its ``authorize`` (the auth of a built plan)."""

    registry: SpecRegistry
    transport: Transport
    retry: RetryPolicy
    timeouts: Timeouts
    sleep: Callable[[float], Any] | None
    resolver: Resolver
    authorize: Callable[[CallInputs, RequestPlan], tuple[RequestPlan, Any]]

    def resolve_settings(self, spec: CompiledSpec, call: Mapping[str, Any]) -> dict[str, Any]:
        """Every setting ``spec`` declares (:meth:`Resolver.resolve_settings`)."""
        return self.resolver.resolve_settings(spec, call)

    def base_url(self, spec: CompiledSpec, opts: Mapping[str, Any]) -> str | None:
        """The base URL the caller chose, or ``None`` (:meth:`Resolver.base_url`)."""
        return self.resolver.base_url(spec, opts)

__all__ = ["COUNT_METHODS", "CountPlan", "EmbedPlan", "Host", "MAX_EMBED_INPUTS", "MAX_MODEL_PAGES", "check_embed_inputs", "check_embed_params", "count_plan",
           "count_tokens_async", "count_tokens_sync", "embed_plan", "embed_result", "list_models_async", "list_models_sync"]

#: The most inputs one ``embed`` call takes (it is split into requests of the spec's ``max_batch``).
MAX_EMBED_INPUTS = 100_000
#: The most pages ``list_models`` follows.
MAX_MODEL_PAGES = 50
#: Keywords every operation call takes besides its own options.
_CALL_KEYS = ("api_key", "base_url", "settings", "extra_headers")


@dataclass(frozen=True)
class EmbedPlan:
    """An ``embed`` call prepared: one :class:`OperationCall` per batch of at most ``max_batch``
    inputs, with the sizes of the batches."""

    spec: CompiledSpec
    model: str
    calls: tuple[OperationCall, ...]
    sizes: tuple[int, ...]
    warnings: tuple[CallWarning, ...]
    settings: dict[str, Any]


def _call_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: options[k] for k in _CALL_KEYS if options.get(k) is not None}


def _policy(host: Host, timeout: Any, max_retries: int | None) -> tuple[Any, Timeouts]:
    policy = host.retry if max_retries is None else replace(host.retry, max_retries=max_retries)
    return policy, Timeouts.of(timeout) if timeout is not None else host.timeouts


def _prepared(host: Host, inputs: CallInputs, op: OperationSpec, opts: Mapping[str, Any], *, params: Mapping[str, Any] | None,
              values: Mapping[str, Any], warnings: Sequence[CallWarning], policy: Any, timeouts: Timeouts) -> OperationCall:
    spec = inputs.spec
    plan = build_operation(spec, op, model=inputs.model, settings=inputs.settings, params=params, values=values, base_url=inputs.base_url,
                           extra_headers=opts.get("extra_headers"), warnings=list(warnings))
    plan, auth = host.authorize(inputs, plan)
    return OperationCall(spec, plan, auth, policy, timeouts, host.sleep)


def embed_plan(host: Host, model_ref: str, inputs: str | Sequence[str], *, params: Mapping[Any, Any], options: Mapping[str, Any],
               timeout: Any = None, max_retries: int | None = None) -> EmbedPlan:
    """Check the inputs and build the batch requests (no I/O).  Raises :class:`RequestBuildError`
    for inputs that are not non-empty strings, :class:`UnsupportedOperationError` for a provider
    without embeddings, :class:`ConfigError` for a missing key."""
    texts = check_embed_inputs(inputs)
    check_embed_params(params)
    spec, model, warnings = host.registry.resolve(model_ref)
    op = operation_of(spec, "embed")
    opts = _call_options(options)
    resolved = host.resolver.inputs(spec, model, warnings, opts)
    policy, timeouts = _policy(host, timeout, max_retries)
    size = batch_size(spec, op, model=model, settings=resolved.settings) or len(texts)
    batches = [texts[i:i + size] for i in range(0, len(texts), size)]
    calls = [_prepared(host, resolved, op, opts, params=params, values={"inputs": batch}, warnings=resolved.warnings if n == 0 else (), policy=policy, timeouts=timeouts)
             for n, batch in enumerate(batches)]
    return EmbedPlan(spec, model, tuple(calls), tuple(len(b) for b in batches), tuple(calls[0].plan.warnings), resolved.settings)


#: The values of the embed options that take a fixed set (engine/options.py EmbedOptions).
_EMBED_CHOICES = {"input_type": ("query", "document", "classification", "clustering"), "truncate": ("none", "start", "end")}


def check_embed_inputs(inputs: str | Sequence[str]) -> list[str]:
    """The texts of an embed call (one string or a list).  Raises :class:`RequestBuildError` for
    none, more than :data:`MAX_EMBED_INPUTS`, or one that is not a non-empty string."""
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    if not texts:
        raise RequestBuildError("embed needs at least one input")
    if len(texts) > MAX_EMBED_INPUTS:
        raise RequestBuildError(f"embed takes at most {MAX_EMBED_INPUTS} inputs per call, got {len(texts)}")
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text:  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
            raise RequestBuildError(f"embed input {i} must be a non-empty string, got {type(text).__name__ if not isinstance(text, str) else 'an empty string'}")  # pyright: ignore[reportUnnecessaryIsInstance]
    return texts


def check_embed_params(params: Mapping[Any, Any]) -> None:
    """Raises :class:`RequestBuildError` for an embed option value the generic API does not have."""
    for name, choices in _EMBED_CHOICES.items():
        value = params.get(name)
        if value is not None and value not in choices:
            raise RequestBuildError(f"embed {name} must be one of {', '.join(choices)}; got {value!r}")
    dims = params.get("dimensions")
    if dims is not None and (not isinstance(dims, int) or isinstance(dims, bool) or dims < 1):
        raise RequestBuildError(f"embed dimensions must be a positive integer; got {dims!r}")


def _count(value: Any) -> int | None:
    """A token count from a body: an integer, or a float with no fraction (JSON numbers summed by JMESPath)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return None


def _vectors(spec: CompiledSpec, fields: dict[str, Any], expected: int) -> list[list[float]]:
    vectors = fields["vectors"]
    if not isinstance(vectors, list) or len(vectors) != expected:  # pyright: ignore[reportUnknownArgumentType]
        got = len(vectors) if isinstance(vectors, list) else type(vectors).__name__  # pyright: ignore[reportUnknownArgumentType]
        raise ResponseParseError(f"{spec.provider} embed: expected {expected} vectors, got {got}")
    index = fields.get("index")
    if isinstance(index, list) and len(index) == expected and sorted(index) == list(range(expected)):  # pyright: ignore[reportUnknownArgumentType]
        ordered: list[Any] = [None] * expected
        for i, vector in zip(index, vectors):  # pyright: ignore[reportUnknownArgumentType]
            ordered[i] = vector
        vectors = ordered
    out: list[list[float]] = []
    for vector in vectors:  # pyright: ignore[reportUnknownVariableType]
        if not isinstance(vector, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector):  # pyright: ignore[reportUnknownVariableType]
            raise ResponseParseError(f"{spec.provider} embed: a vector is not a list of numbers")
        out.append([float(x) for x in vector])  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
    return out


def embed_result(plan: EmbedPlan, bodies: list[Any]) -> EmbeddingResponse:
    """The :class:`EmbeddingResponse` of the batches' parsed bodies (in batch order)."""
    op = operation_of(plan.spec, "embed")
    vectors: list[list[float]] = []
    tokens: int | None = 0
    model = plan.model
    for body, size in zip(bodies, plan.sizes):
        fields = parse_operation(plan.spec, op, body)
        vectors += _vectors(plan.spec, fields, size)
        count = _count(fields.get("input_tokens") if fields.get("input_tokens") is not None else fields.get("total_tokens"))
        tokens = tokens + count if tokens is not None and count is not None else None
        reported = fields.get("model")
        model = reported if isinstance(reported, str) and reported else model
    usage = Usage(input_tokens=tokens, output_tokens=0, total_tokens=tokens) if tokens is not None else None
    cost, reason = compute_cost(usage, plan.spec.model_info(plan.model), plan.model, settings=plan.settings)
    return EmbeddingResponse(provider=plan.spec.provider, model=model, vectors=vectors, usage=usage, cost=cost, cost_reason=reason, warnings=list(plan.warnings))


# ---------------------------------------------------------------------------- list_models
def _list_prepare(host: Host, provider: str, options: Mapping[str, Any]) -> tuple[CallInputs, OperationSpec, dict[str, Any]]:
    if ":" in provider:
        raise ConfigError(f"list_models takes a provider id ({provider!r} is a model ref)")
    spec = host.registry.get(host.registry.aliases().get(provider, provider))  # ModelNotFoundError for an unknown id
    op = operation_of(spec, "list_models")
    opts = _call_options(options)
    return host.resolver.inputs(spec, str(spec.data.get("default_model") or ""), (), opts), op, opts


def _merge_catalog(spec: CompiledSpec, listed: list[dict[str, Any]], include_catalog: bool) -> list[ListedModel]:
    out: list[ListedModel] = []
    seen: set[str] = set()
    for item in listed:
        model_id = item.get("id")
        if not isinstance(model_id, str) or not model_id or model_id in seen:
            continue
        seen.add(model_id)
        info = spec.model_info(model_id)
        catalog = info.as_dict() if info else None
        out.append(ListedModel(
            provider=spec.provider, id=model_id,
            display_name=_str(item.get("display_name")) or (info.display_name if info else None),
            created=_int(item.get("created")), owned_by=_str(item.get("owned_by")),
            context_window=_int(item.get("context_window")) or (info.context_window if info else None),
            max_output_tokens=_int(item.get("max_output_tokens")) or (info.max_output_tokens if info else None),
            listed=True, in_catalog=info is not None, catalog=catalog,
        ))
    if include_catalog:
        for info in spec.models:
            if info.id not in seen and not any(a in seen for a in info.aliases):
                out.append(ListedModel(provider=spec.provider, id=info.id, display_name=info.display_name, context_window=info.context_window,
                                       max_output_tokens=info.max_output_tokens, listed=False, in_catalog=True, catalog=info.as_dict()))
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _pages(host: Host, provider: str, options: Mapping[str, Any], timeout: Any, max_retries: int | None) -> Callable[[Any], OperationCall]:
    inputs, op, opts = _list_prepare(host, provider, options)
    policy, timeouts = _policy(host, timeout, max_retries)

    def page(cursor: Any) -> OperationCall:
        return _prepared(host, inputs, op, opts, params=None, values={"page": cursor}, warnings=(), policy=policy, timeouts=timeouts)

    return page


class _Pager:
    """The pages of one list_models call (pure): ``take`` reads a page's body and gives the next
    page's call, or ``None`` once there is no cursor or :data:`MAX_MODEL_PAGES` were read."""

    def __init__(self, page: Callable[[Any], OperationCall]) -> None:
        self.page = page
        self.call = page(None)
        self.listed: list[dict[str, Any]] = []
        self.read = 0

    def take(self, body: Any) -> OperationCall | None:
        fields = parse_operation(self.call.spec, operation_of(self.call.spec, "list_models"), body)
        self.listed += fields["models"]
        self.read += 1
        cursor = fields.get("next_page")
        if not cursor or self.read >= MAX_MODEL_PAGES:
            return None
        self.call = self.page(cursor)
        return self.call


def list_models_sync(host: Host, provider: str, *, include_catalog: bool, options: Mapping[str, Any], timeout: Any = None, max_retries: int | None = None) -> list[ListedModel]:
    pager = _Pager(_pages(host, provider, options, timeout, max_retries))
    call: OperationCall | None = pager.call
    while call is not None:
        call = pager.take(send_sync(call, host.transport))
    return _merge_catalog(pager.call.spec, pager.listed, include_catalog)


async def list_models_async(host: Host, provider: str, *, include_catalog: bool, options: Mapping[str, Any], timeout: Any = None, max_retries: int | None = None) -> list[ListedModel]:
    pager = _Pager(_pages(host, provider, options, timeout, max_retries))
    call: OperationCall | None = pager.call
    while call is not None:
        call = pager.take(await send_async(call, host.transport))
    return _merge_catalog(pager.call.spec, pager.listed, include_catalog)


def embed_sync(host: Host, plan: EmbedPlan) -> EmbeddingResponse:
    return embed_result(plan, [send_sync(call, host.transport) for call in plan.calls])


async def embed_async(host: Host, plan: EmbedPlan) -> EmbeddingResponse:
    return embed_result(plan, [await send_async(call, host.transport) for call in plan.calls])


# ---------------------------------------------------------------------------- count_tokens
#: The ``method=`` values of ``count_tokens``.
COUNT_METHODS = ("auto", "provider", "tokenizer", "estimate")


@dataclass(frozen=True)
class CountPlan:
    """A ``count_tokens`` call prepared: the provider request (``call``) or the local count
    (``local``), with the warnings so far."""

    spec: CompiledSpec
    model: str
    call: OperationCall | None
    local: TokenCount | None
    warnings: tuple[CallWarning, ...]


def count_plan(host: Host, model_ref: str, messages: Any, *, tools: Any, method: str, options: Mapping[str, Any],
               timeout: Any = None, max_retries: int | None = None) -> CountPlan:
    """Resolve the model and either build the provider's count request or count locally (no I/O
    but loading a tokenizer encoding).  ``method``: ``"auto"`` (the provider's count endpoint when
    its spec declares one, else the spec's tokenizer when tiktoken and the encoding are available,
    else the estimate), ``"provider"``, ``"tokenizer"`` or ``"estimate"``.  Raises
    :class:`RequestBuildError` for an unknown method or invalid messages,
    :class:`UnsupportedOperationError` when the forced method has nothing to count with, and
    :class:`ConfigError` when ``"tokenizer"`` lacks tiktoken or the encoding."""
    from .tokens import estimate_prompt_tokens, load_encoding, tokenizer_count, tokenizer_rule
    from .validate import request_from

    if method not in COUNT_METHODS:
        raise RequestBuildError(f"count_tokens method must be one of {', '.join(COUNT_METHODS)}, got {method!r}")
    spec, model, resolved = host.registry.resolve(model_ref)
    warnings = list(resolved)
    request = request_from(messages, {"tools": tools} if tools else {})
    if method == "provider" or (method == "auto" and "count_tokens" in spec.operations):
        op = operation_of(spec, "count_tokens")
        opts = _call_options(options)
        inputs = host.resolver.inputs(spec, model, warnings, opts)
        policy, timeouts = _policy(host, timeout, max_retries)
        try:
            values = chat_context(spec, request, model)
        except TemplateFailure as exc:
            raise spec.render_failure(exc, f"{spec.provider} count_tokens: {exc}") from None
        call = _prepared(host, inputs, op, opts, params=None, values=values, warnings=inputs.warnings, policy=policy, timeouts=timeouts)
        return CountPlan(spec, model, call, None, tuple(call.plan.warnings))
    rule = tokenizer_rule(spec.data, model)
    if method == "tokenizer" and rule is None:
        raise UnsupportedOperationError(f"{spec.provider} declares no tokenizer for {model!r} (its spec's tokenizer: section)")
    if rule is not None and method in ("auto", "tokenizer"):
        try:
            encoding = load_encoding(rule.encoding)
        except ConfigError as exc:
            if method == "tokenizer":
                raise
            warnings.append(CallWarning(kind="token-estimate", detail=f"the {rule.encoding} tokenizer is not available ({exc}); the count is an estimate"))
        else:
            count = tokenizer_count(request, rule, encoding)
            if request.tools:
                warnings.append(CallWarning(kind="token-estimate", param="tools", detail="tool definitions are counted approximately (the JSON of each definition)"))
            return CountPlan(spec, model, None, TokenCount(provider=spec.provider, model=model, input_tokens=count, method="tokenizer", warnings=warnings), tuple(warnings))
    if method == "auto" and rule is None:
        warnings.append(CallWarning(kind="token-estimate", detail=f"{spec.provider} has no count endpoint or tokenizer for {model!r}; the count is an estimate (characters / 4)"))
    elif method == "estimate":
        warnings.append(CallWarning(kind="token-estimate", detail="the count is an estimate (characters / 4)"))
    count = estimate_prompt_tokens(request)
    return CountPlan(spec, model, None, TokenCount(provider=spec.provider, model=model, input_tokens=count, method="estimate", warnings=warnings), tuple(warnings))


def count_result(plan: CountPlan, body: Any) -> TokenCount:
    """The :class:`TokenCount` of the provider's parsed response body."""
    fields = parse_operation(plan.spec, operation_of(plan.spec, "count_tokens"), body)
    count = fields["input_tokens"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ResponseParseError(f"{plan.spec.provider} count_tokens: input_tokens is not a count ({type(count).__name__})")
    return TokenCount(provider=plan.spec.provider, model=plan.model, input_tokens=count, method="provider", warnings=list(plan.warnings))


def count_tokens_sync(host: Host, plan: CountPlan) -> TokenCount:
    if plan.call is None:
        assert plan.local is not None
        return plan.local
    return count_result(plan, send_sync(plan.call, host.transport))


async def count_tokens_async(host: Host, plan: CountPlan) -> TokenCount:
    if plan.call is None:
        assert plan.local is not None
        return plan.local
    return count_result(plan, await send_async(plan.call, host.transport))
