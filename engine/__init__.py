"""specwire: one API for every LLM provider; each provider is a YAML spec read by one engine.

    >>> import specwire
    >>> response = specwire.complete("openai:gpt-5.5", "Say hi")        # doctest: +SKIP
    >>> for event in specwire.stream("anthropic:claude-sonnet-5-5", "Hi"):  # doctest: +SKIP
    ...     if event.type == "text_delta":
    ...         print(event.delta, end="")

The public names are listed in ``__all__`` and imported lazily on first use, so ``import specwire``
stays cheap.  Type checkers see them through the explicit re-exports below (``from .x import Y as
Y`` under ``TYPE_CHECKING``); the call options are typed by :class:`specwire.CallOptions`.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any
from typing import Literal as _Literal
from typing import overload as _overload
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence

if _TYPE_CHECKING:  # pragma: no cover
    from typing import Unpack

    from . import hooks as hooks
    from .client import (
        AsyncStream as AsyncStream,
        Client as Client,
        Stream as Stream,
    )
    from .errors import (
        APIConnectionError as APIConnectionError,
        APIStatusError as APIStatusError,
        APITimeoutError as APITimeoutError,
        AuthenticationError as AuthenticationError,
        BadRequestError as BadRequestError,
        CapabilityError as CapabilityError,
        ConfigError as ConfigError,
        ConflictError as ConflictError,
        ConnectTimeout as ConnectTimeout,
        ContentFilterError as ContentFilterError,
        ContextWindowExceededError as ContextWindowExceededError,
        DeadlineExceeded as DeadlineExceeded,
        FramingError as FramingError,
        IncompleteStreamError as IncompleteStreamError,
        ModelNotFoundError as ModelNotFoundError,
        NotFoundError as NotFoundError,
        OverloadedError as OverloadedError,
        PermissionDeniedError as PermissionDeniedError,
        PoolExhaustedError as PoolExhaustedError,
        RateLimitError as RateLimitError,
        ReadTimeout as ReadTimeout,
        RedirectError as RedirectError,
        RequestBuildError as RequestBuildError,
        RequestTooLargeError as RequestTooLargeError,
        ResponseParseError as ResponseParseError,
        ServerError as ServerError,
        ServiceUnavailableError as ServiceUnavailableError,
        SpecError as SpecError,
        SpecwireError as SpecwireError,
        StreamError as StreamError,
        StreamInterruptedError as StreamInterruptedError,
        StructuredOutputError as StructuredOutputError,
        TransportError as TransportError,
        UnprocessableEntityError as UnprocessableEntityError,
        UnsupportedOperationError as UnsupportedOperationError,
    )
    from .observe import (
        Callbacks as Callbacks,
        FailureEvent as FailureEvent,
        FinishEvent as FinishEvent,
        ModelWarning as ModelWarning,
        ParameterWarning as ParameterWarning,
        RequestEvent as RequestEvent,
        ResponseHeadersEvent as ResponseHeadersEvent,
        RetryEvent as RetryEvent,
        SpecwireWarning as SpecwireWarning,
    )
    from .op_types import (
        EmbeddingResponse as EmbeddingResponse,
        ListedModel as ListedModel,
        TokenCount as TokenCount,
    )
    from .options import (
        CallOptions as CallOptions,
        EmbedOptions as EmbedOptions,
    )
    from .otel import (
        Telemetry as Telemetry,
    )
    from .options import Messages, ModelT, CallOptionsWithoutFormat, OperationOptions
    from .registry import (
        SpecRegistry as SpecRegistry,
    )
    from .request import (
        RequestPlan as RequestPlan,
    )
    from .option_types import (
        Reasoning as Reasoning,
        ResponseFormat as ResponseFormat,
        Tool as Tool,
        ToolChoice as ToolChoice,
    )
    from .parts import (
        AudioPart as AudioPart,
        DocumentPart as DocumentPart,
        ImagePart as ImagePart,
        Message as Message,
        ProviderPart as ProviderPart,
        ReasoningPart as ReasoningPart,
        TextPart as TextPart,
        ToolCallPart as ToolCallPart,
        ToolResultPart as ToolResultPart,
    )
    from .types import (
        CallWarning as CallWarning,
        Choice as Choice,
        Cost as Cost,
        ErrorEvent as ErrorEvent,
        Finish as Finish,
        FinishReason as FinishReason,
        ReasoningDelta as ReasoningDelta,
        ReasoningEnd as ReasoningEnd,
        ReasoningStart as ReasoningStart,
        Request as Request,
        Response as Response,
        ResponseStart as ResponseStart,
        StreamEvent as StreamEvent,
        TextDelta as TextDelta,
        TextEnd as TextEnd,
        TextStart as TextStart,
        TokenLogprob as TokenLogprob,
        ToolCallDelta as ToolCallDelta,
        ToolCallEnd as ToolCallEnd,
        ToolCallStart as ToolCallStart,
        Usage as Usage,
        UsageUpdate as UsageUpdate,
        WarningEvent as WarningEvent,
    )

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # calls
    "Client": "client",
    "Stream": "client",
    "AsyncStream": "client",
    "RequestPlan": "request",
    "SpecRegistry": "registry",
    "hooks": "",
    # types
    "Message": "parts",
    "TextPart": "parts",
    "ImagePart": "parts",
    "DocumentPart": "parts",
    "AudioPart": "parts",
    "ReasoningPart": "parts",
    "ToolCallPart": "parts",
    "ToolResultPart": "parts",
    "ProviderPart": "parts",
    "Tool": "option_types",
    "ToolChoice": "option_types",
    "ResponseFormat": "option_types",
    "Reasoning": "option_types",
    "Request": "types",
    "Response": "types",
    "FinishReason": "types",
    "Usage": "types",
    "Cost": "types",
    "CallWarning": "types",
    "Choice": "types",
    "TokenLogprob": "types",
    "CallOptions": "options",
    "EmbedOptions": "options",
    "EmbeddingResponse": "op_types",
    "ListedModel": "op_types",
    "TokenCount": "op_types",
    "ResponseStart": "types",
    "TextStart": "types",
    "TextDelta": "types",
    "TextEnd": "types",
    "ReasoningStart": "types",
    "ReasoningDelta": "types",
    "ReasoningEnd": "types",
    "ToolCallStart": "types",
    "ToolCallDelta": "types",
    "ToolCallEnd": "types",
    "UsageUpdate": "types",
    "WarningEvent": "types",
    "Finish": "types",
    "ErrorEvent": "types",
    "StreamEvent": "types",
    # errors
    "SpecwireError": "errors",
    "SpecError": "errors",
    "ConfigError": "errors",
    "ModelNotFoundError": "errors",
    "RequestBuildError": "errors",
    "CapabilityError": "errors",
    "TransportError": "errors",
    "APIConnectionError": "errors",
    "APITimeoutError": "errors",
    "ConnectTimeout": "errors",
    "ReadTimeout": "errors",
    "DeadlineExceeded": "errors",
    "PoolExhaustedError": "errors",
    "StreamInterruptedError": "errors",
    "APIStatusError": "errors",
    "BadRequestError": "errors",
    "ContextWindowExceededError": "errors",
    "ContentFilterError": "errors",
    "AuthenticationError": "errors",
    "PermissionDeniedError": "errors",
    "NotFoundError": "errors",
    "ConflictError": "errors",
    "RequestTooLargeError": "errors",
    "UnprocessableEntityError": "errors",
    "RateLimitError": "errors",
    "RedirectError": "errors",
    "ServerError": "errors",
    "ServiceUnavailableError": "errors",
    "OverloadedError": "errors",
    "StreamError": "errors",
    "FramingError": "errors",
    "IncompleteStreamError": "errors",
    "ResponseParseError": "errors",
    "UnsupportedOperationError": "errors",
    # observability (docs/observability.md)
    "Callbacks": "observe",
    "RequestEvent": "observe",
    "ResponseHeadersEvent": "observe",
    "RetryEvent": "observe",
    "FinishEvent": "observe",
    "FailureEvent": "observe",
    "SpecwireWarning": "observe",
    "ModelWarning": "observe",
    "ParameterWarning": "observe",
    "Telemetry": "otel",
    "StructuredOutputError": "errors",
}

# Literal (not computed) so that type checkers read it; tests/typing/test_exports.py checks that it
# is ``_EXPORTS`` plus the functions below, and that every name has its re-export above.
__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncStream",
    "AudioPart",
    "AuthenticationError",
    "BadRequestError",
    "CallOptions",
    "CallWarning",
    "Callbacks",
    "CapabilityError",
    "Choice",
    "Client",
    "ConfigError",
    "ConflictError",
    "ConnectTimeout",
    "ContentFilterError",
    "ContextWindowExceededError",
    "Cost",
    "DeadlineExceeded",
    "DocumentPart",
    "EmbedOptions",
    "EmbeddingResponse",
    "ErrorEvent",
    "FailureEvent",
    "Finish",
    "FinishEvent",
    "FinishReason",
    "FramingError",
    "ImagePart",
    "IncompleteStreamError",
    "ListedModel",
    "Message",
    "ModelNotFoundError",
    "ModelWarning",
    "NotFoundError",
    "OverloadedError",
    "ParameterWarning",
    "PermissionDeniedError",
    "PoolExhaustedError",
    "ProviderPart",
    "RateLimitError",
    "ReadTimeout",
    "Reasoning",
    "ReasoningDelta",
    "ReasoningEnd",
    "ReasoningPart",
    "ReasoningStart",
    "RedirectError",
    "Request",
    "RequestBuildError",
    "RequestEvent",
    "RequestPlan",
    "RequestTooLargeError",
    "Response",
    "ResponseFormat",
    "ResponseHeadersEvent",
    "ResponseParseError",
    "ResponseStart",
    "RetryEvent",
    "ServerError",
    "ServiceUnavailableError",
    "SpecError",
    "SpecRegistry",
    "SpecwireError",
    "SpecwireWarning",
    "Stream",
    "StreamError",
    "StreamEvent",
    "StreamInterruptedError",
    "StructuredOutputError",
    "Telemetry",
    "TextDelta",
    "TextEnd",
    "TextPart",
    "TextStart",
    "TokenCount",
    "TokenLogprob",
    "Tool",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallPart",
    "ToolCallStart",
    "ToolChoice",
    "ToolResultPart",
    "TransportError",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "Usage",
    "UsageUpdate",
    "WarningEvent",
    "__version__",
    "acomplete",
    "acount_tokens",
    "aembed",
    "astream",
    "complete",
    "count_tokens",
    "embed",
    "hooks",
    "stream",
]


@_overload
def complete(model_ref: str, messages: Messages, *, response_format: type[ModelT], **options: Unpack[CallOptionsWithoutFormat]) -> Response[ModelT]: ...
@_overload
def complete(model_ref: str, messages: Messages, **options: Unpack[CallOptions]) -> Response: ...
def complete(model_ref: str, messages: Messages, **options: Unpack[CallOptions]) -> Response:
    """Send one request with the default :class:`Client` and return the :class:`Response`.

    ``model_ref`` is ``"provider:model"``; see :meth:`Client.complete` for ``messages`` and options
    (a pydantic model class as ``response_format`` types the result ``Response[ThatClass]``).
    """
    from .client import default_client

    return default_client().complete(model_ref, messages, **options)


@_overload
async def acomplete(model_ref: str, messages: Messages, *, response_format: type[ModelT], **options: Unpack[CallOptionsWithoutFormat]) -> Response[ModelT]: ...
@_overload
async def acomplete(model_ref: str, messages: Messages, **options: Unpack[CallOptions]) -> Response: ...
async def acomplete(model_ref: str, messages: Messages, **options: Unpack[CallOptions]) -> Response:
    """Async :func:`complete`."""
    from .client import default_client

    return await default_client().acomplete(model_ref, messages, **options)


def stream(model_ref: str, messages: Messages, *, stream_mode: str | None = None, raise_on_error: bool = True, **options: Unpack[CallOptions]) -> Stream:
    """A :class:`Stream` of events from the default :class:`Client`; see :meth:`Client.stream`."""
    from .client import default_client

    return default_client().stream(model_ref, messages, stream_mode=stream_mode, raise_on_error=raise_on_error, **options)


def astream(model_ref: str, messages: Messages, *, stream_mode: str | None = None, raise_on_error: bool = True, **options: Unpack[CallOptions]) -> AsyncStream:
    """An :class:`AsyncStream` from the default :class:`Client`; see :meth:`Client.astream`."""
    from .client import default_client

    return default_client().astream(model_ref, messages, stream_mode=stream_mode, raise_on_error=raise_on_error, **options)


def embed(model_ref: str, inputs: str | _Sequence[str], **options: Unpack[EmbedOptions]) -> EmbeddingResponse:
    """Embed ``inputs`` with the default :class:`Client`; see :meth:`Client.embed`.  Returns an
    :class:`EmbeddingResponse` (``vectors[i]`` for ``inputs[i]``, usage in tokens, cost in USD)."""
    from .client import default_client

    return default_client().embed(model_ref, inputs, **options)


async def aembed(model_ref: str, inputs: str | _Sequence[str], **options: Unpack[EmbedOptions]) -> EmbeddingResponse:
    """Async :func:`embed`."""
    from .client import default_client

    return await default_client().aembed(model_ref, inputs, **options)


def count_tokens(model_ref: str, messages: Messages, *, tools: _Sequence[Tool | _Mapping[str, _Any]] | None = None,
                 method: _Literal["auto", "provider", "tokenizer", "estimate"] = "auto", **options: Unpack[OperationOptions]) -> TokenCount:
    """Count the input tokens of ``messages`` (and ``tools``) with the default :class:`Client`; see
    :meth:`Client.count_tokens`.  Returns a :class:`TokenCount` (``method``: ``"provider"``,
    ``"tokenizer"`` or ``"estimate"``)."""
    from .client import default_client

    return default_client().count_tokens(model_ref, messages, tools=tools, method=method, **options)


async def acount_tokens(model_ref: str, messages: Messages, *, tools: _Sequence[Tool | _Mapping[str, _Any]] | None = None,
                        method: _Literal["auto", "provider", "tokenizer", "estimate"] = "auto", **options: Unpack[OperationOptions]) -> TokenCount:
    """Async :func:`count_tokens`."""
    from .client import default_client

    return await default_client().acount_tokens(model_ref, messages, tools=tools, method=method, **options)


def __getattr__(name: str) -> _Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'specwire' has no attribute {name!r}")
    value = _importlib.import_module(f"specwire.{module or name}")
    if module:
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
