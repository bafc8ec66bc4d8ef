"""The keyword options of a call, as ``TypedDict`` s for type checkers (docs/ARCHITECTURE.md section 7).

:func:`specwire.complete`, :meth:`specwire.Client.complete` and their stream and async twins take
``**options: Unpack[CallOptions]``; :class:`specwire.router.Router`'s calls take
``**options: Unpack[RouterCallOptions]``.  A misspelled option (``max_tokens=5``) or one of the
wrong type (``temperature="hot"``) is then a type error under mypy and pyright, before it is the
:class:`~specwire.RequestBuildError` it is at run time.  A dict of options can be typed with them
too::

    opts: specwire.CallOptions = {"max_output_tokens": 256, "temperature": 0.2}
    specwire.complete("openai:gpt-5.5", "Hi", **opts)

Each option is optional (``total=False``) and ``None`` means "not given".  The types accept what
the run time accepts: the unified objects (:class:`~specwire.Tool`, :class:`~specwire.ToolChoice`,
:class:`~specwire.ResponseFormat`, :class:`~specwire.Reasoning`) or their short and OpenAI-style
forms (``tool_choice="auto"``, ``reasoning="high"`` or ``2048``, ``response_format="json"``,
tool dicts).  Units: tokens for token counts, seconds for ``timeout``.  A wire field no option
covers goes in ``provider_options={"<provider>": {...}}`` (merged into that provider's body
last); an unknown keyword is a :class:`~specwire.RequestBuildError` with a did-you-mean.

This module holds types only; nothing here runs at call time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, Union

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .observe import Callbacks
    from .retry import Timeouts
    from .types import Message, Reasoning, ResponseFormat, Tool, ToolChoice

__all__ = ["CallOptions", "EmbedOptions", "Messages", "OperationOptions", "RequestOptions", "RouterCallOptions", "RouterEmbedOptions"]

#: What a call takes as ``messages``: one string (a user message), one :class:`~specwire.Message`
#: or message dict, or an iterable of messages and OpenAI-style message dicts
#: (:func:`specwire.messages.to_messages`).
Messages = Union[str, "Message", Mapping[str, Any], Iterable[Union["Message", Mapping[str, Any]]]]

#: The effort levels of :class:`~specwire.Reasoning`.
_Effort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]

#: The pydantic model class given as ``response_format``: a call given one returns a
#: ``Response[ModelT]`` whose ``parsed`` is an instance of it (the overloads of ``complete`` and
#: ``acomplete``).
ModelT = TypeVar("ModelT", bound="BaseModel")


class _RequestOptionsBase(TypedDict, total=False):
    # RequestOptions without response_format: the overloads taking a model class name that
    # option themselves (a TypedDict key may not repeat a keyword parameter).
    tools: Sequence[Tool | Mapping[str, Any]]
    tool_choice: ToolChoice | Literal["auto", "none", "required"] | str | Mapping[str, Any] | None
    max_output_tokens: int | None
    temperature: float | None
    top_p: float | None
    top_k: int | None
    stop_sequences: str | Sequence[str] | None
    seed: int | None
    presence_penalty: float | None
    frequency_penalty: float | None
    reasoning: Reasoning | _Effort | int | Mapping[str, Any] | None
    parallel_tool_calls: bool | None
    user: str | None
    metadata: Mapping[str, str] | None
    logprobs: bool | None
    top_logprobs: int | None
    n: int | None
    service_tier: str | None
    prediction: str | Mapping[str, Any] | None
    code_execution: bool | None
    provider_options: Mapping[str, Mapping[str, Any]]


class RequestOptions(_RequestOptionsBase, total=False):
    """The generic options of :class:`~specwire.Request`, one entry per field (see there for
    their meaning); a provider's spec maps each to its wire fields."""

    response_format: ResponseFormat | type[BaseModel] | Literal["text", "json"] | Mapping[str, Any] | None


class OperationOptions(TypedDict, total=False):
    """The options of the operations besides chat (:meth:`specwire.Client.list_models`,
    ``count_tokens``): ``api_key``, ``base_url``, ``settings`` and ``extra_headers`` as for a call;
    ``timeout`` in seconds or a :class:`~specwire.retry.Timeouts`; ``max_retries``."""

    api_key: str | None
    base_url: str | None
    settings: Mapping[str, Any] | None
    extra_headers: Mapping[str, str] | None
    timeout: float | Timeouts | None
    max_retries: int | None


class _CallOwnOptions(OperationOptions, total=False):
    # The call's own options (documented on CallOptions): the operations' plus these.
    raise_on_content_filter: bool | None
    strict_capabilities: bool | None
    callbacks: Sequence[Callbacks] | None
    cache: bool | None


class CallOptions(RequestOptions, _CallOwnOptions, total=False):
    """The options of :meth:`specwire.Client.complete` (and ``stream``, ``acomplete``,
    ``astream``, and the module-level functions): the :class:`RequestOptions` plus the call's own.

    ``api_key`` and ``base_url`` override the client's for this call; ``settings`` fills the
    spec's settings (a region, an API version…); ``extra_headers`` are added to the request;
    ``timeout`` is seconds (the read timeout) or a :class:`~specwire.retry.Timeouts`;
    ``max_retries`` (0 to ``request.MAX_RETRIES``), ``raise_on_content_filter`` and
    ``strict_capabilities`` default to the client's; ``callbacks`` are :class:`~specwire.Callbacks`
    run for this call besides the client's (docs/observability.md); ``cache=False`` skips the
    client's response cache for this call (``Client(cache=...)``)."""


class CallOptionsWithoutFormat(_RequestOptionsBase, _CallOwnOptions, total=False):
    """:class:`CallOptions` without ``response_format``: the options beside a pydantic model class
    given as ``response_format`` (the typed overloads of ``complete`` and ``acomplete``)."""


class _RouterOwnOptions(TypedDict, total=False):
    # The router call's own options (documented on RouterCallOptions).
    settings: Mapping[str, Any] | None
    extra_headers: Mapping[str, str] | None
    timeout: float | Timeouts | None
    max_retries: int | None
    cache: bool | None
    tags: Iterable[str] | None
    callbacks: Sequence[Callbacks] | None


class RouterCallOptions(RequestOptions, _RouterOwnOptions, total=False):
    """The options of :class:`specwire.router.Router`'s calls: the :class:`RequestOptions`, the
    call options a router passes on (``settings``, ``extra_headers``, ``timeout`` whose ``total``
    bounds the whole router call, ``max_retries`` for retries and fallbacks together) and the
    router's own: ``cache`` (opt in or out of the response cache) and ``tags`` (only deployments
    carrying all these tags).  ``api_key`` and ``base_url`` belong to deployments and are
    refused on a call."""


class RouterCallOptionsWithoutFormat(_RequestOptionsBase, _RouterOwnOptions, total=False):
    """:class:`RouterCallOptions` without ``response_format`` (the typed overloads taking a model
    class)."""


class EmbedOptions(OperationOptions, total=False):
    """The options of :meth:`specwire.Client.embed`: the :class:`OperationOptions` plus
    ``dimensions`` (the vector length, where the model can shorten it), ``input_type`` (what the
    texts are for), ``truncate`` (how the provider shortens an over-long input: ``"none"``,
    ``"start"``, ``"end"``) and ``user`` (an end-user id)."""

    dimensions: int | None
    input_type: Literal["query", "document", "classification", "clustering"] | None
    truncate: Literal["none", "start", "end"] | None
    user: str | None


class RouterEmbedOptions(TypedDict, total=False):
    """The options of :meth:`specwire.router.Router.embed`: the embed options of
    :class:`EmbedOptions` (``dimensions``, ``input_type``, ``truncate``, ``user``), the call
    options a router passes on (``settings``, ``extra_headers``), ``timeout`` (its ``total``
    bounds the whole router call), ``max_retries`` (retries and fallbacks together) and ``tags``
    (only deployments carrying all these tags).  ``api_key`` and ``base_url`` belong to
    deployments and are refused on a call."""

    dimensions: int | None
    input_type: Literal["query", "document", "classification", "clustering"] | None
    truncate: Literal["none", "start", "end"] | None
    user: str | None
    settings: Mapping[str, Any] | None
    extra_headers: Mapping[str, str] | None
    timeout: float | Timeouts | None
    max_retries: int | None
    tags: Iterable[str] | None
