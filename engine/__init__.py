"""specwire: one API for every LLM provider; each provider is a YAML spec read by one engine.

    >>> import specwire
    >>> response = specwire.complete("openai:gpt-5.5", "Say hi")        # doctest: +SKIP
    >>> for event in specwire.stream("anthropic:claude-sonnet-5-5", "Hi"):  # doctest: +SKIP
    ...     if event.type == "text_delta":
    ...         print(event.delta, end="")

The public names are listed in ``__all__`` and imported lazily on first use, so ``import specwire``
stays cheap.
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

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
    "Message": "types",
    "TextPart": "types",
    "ImagePart": "types",
    "DocumentPart": "types",
    "AudioPart": "types",
    "ReasoningPart": "types",
    "ToolCallPart": "types",
    "ToolResultPart": "types",
    "ProviderPart": "types",
    "Tool": "types",
    "ToolChoice": "types",
    "ResponseFormat": "types",
    "Reasoning": "types",
    "Request": "types",
    "Response": "types",
    "FinishReason": "types",
    "Usage": "types",
    "Cost": "types",
    "CallWarning": "types",
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

__all__ = sorted([*_EXPORTS, "acomplete", "astream", "complete", "stream", "__version__"])


def complete(model_ref: str, messages: _Any, **options: _Any) -> _Any:
    """Send one request with the default :class:`Client` and return the :class:`Response`.

    ``model_ref`` is ``"provider:model"``; see :meth:`Client.complete` for ``messages`` and options.
    """
    from .client import default_client

    return default_client().complete(model_ref, messages, **options)


async def acomplete(model_ref: str, messages: _Any, **options: _Any) -> _Any:
    """Async :func:`complete`."""
    from .client import default_client

    return await default_client().acomplete(model_ref, messages, **options)


def stream(model_ref: str, messages: _Any, **options: _Any) -> _Any:
    """A :class:`Stream` of events from the default :class:`Client`; see :meth:`Client.stream`."""
    from .client import default_client

    return default_client().stream(model_ref, messages, **options)


def astream(model_ref: str, messages: _Any, **options: _Any) -> _Any:
    """An :class:`AsyncStream` from the default :class:`Client`; see :meth:`Client.astream`."""
    from .client import default_client

    return default_client().astream(model_ref, messages, **options)


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


if _TYPE_CHECKING:  # pragma: no cover
    from . import hooks  # noqa: F401
    from .client import AsyncStream, Client, Stream  # noqa: F401
    from .errors import *  # noqa: F403
    from .observe import Callbacks, FailureEvent, FinishEvent, ModelWarning, ParameterWarning, RequestEvent, ResponseHeadersEvent, RetryEvent, SpecwireWarning  # noqa: F401
    from .otel import Telemetry  # noqa: F401
    from .registry import SpecRegistry  # noqa: F401
    from .request import RequestPlan  # noqa: F401
    from .types import *  # noqa: F403
