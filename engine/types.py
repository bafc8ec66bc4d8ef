"""The unified value types (docs/ARCHITECTURE.md section 3).

Message content (the parts and :class:`Message`) lives in :mod:`specwire.parts` and the option
types (:class:`Tool`, :class:`ToolChoice`, :class:`ResponseFormat`, :class:`Reasoning`) in
:mod:`specwire.option_types`; both are re-exported here, so ``specwire.types.TextPart`` keeps working.

Messages and parts go *into* a call; a :class:`Response` and a sequence of stream events come
*out*.  Every value type is a pydantic v2 model; stream events, built once per chunk on the hot path,
are slotted dataclasses (no validation per chunk) carrying those models; the final
:class:`Response` is built once.

Shapes::

    Message(role, content: str | list[Part])
    Part = TextPart | ImagePart | DocumentPart | AudioPart | ReasoningPart | ToolCallPart | ToolResultPart | ProviderPart
    Response(id, provider, model, parts, text, reasoning, tool_calls, finish_reason, usage, cost,
             cost_reason, warnings, raw, parsed)

Units: token counts are integers (tokens); prices and costs are USD.

``provider_metadata`` on a part is opaque data that must be echoed back on the next turn
(Anthropic thinking signatures, Gemini ``thoughtSignature``).  It is namespaced by provider id,
``{"anthropic": {"signature": "..."}}``, so one provider's signature is never sent to another.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, Generic, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from typing_extensions import TypeVar  # PEP 696 defaults (typing has them from 3.13); pydantic requires typing_extensions

from .errors import SpecwireError
from .option_types import Reasoning, ResponseFormat, Tool, ToolChoice
from .parts import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    Part,
    ProviderPart,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from .safejson import problem
from .vocabulary import FINISH_REASONS, GENERIC_PARAMS  # re-exported: specwire.types names them too
from .vocabulary import CONTENT_EVENT_TYPES as CONTENT_EVENT_TYPES  # defined there (streams.py reads it without pydantic)

__all__ = [
    "AudioPart",
    "CallWarning",
    "Choice",
    "Cost",
    "DocumentPart",
    "FinishReason",
    "GENERIC_PARAMS",
    "ImagePart",
    "Message",
    "Part",
    "ProviderPart",
    "Reasoning",
    "ReasoningPart",
    "Request",
    "Response",
    "ResponseFormat",
    "TextPart",
    "Tool",
    "ToolCallPart",
    "ToolChoice",
    "ToolResultPart",
    "TokenLogprob",
    "UNIFIED_FINISH_REASONS",
    "Usage",
]

UnifiedFinish = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
UNIFIED_FINISH_REASONS: tuple[str, ...] = FINISH_REASONS

# --------------------------------------------------------------------------- call options


class Request(BaseModel):
    """The unified request: messages, tools and generic options.

    An option left at ``None`` is not sent.  ``provider_options={"<provider>": {...}}`` is merged into
    the wire body untouched, last: the pass-through for any wire field the generic options do not
    cover.  ``messages`` may be OpenAI-style dicts.

    Beside the sampling options: ``logprobs`` asks for the output tokens' log probabilities
    (:attr:`Response.logprobs`) and ``top_logprobs`` for the k most likely tokens at each position
    too; ``n`` asks for several completions (:attr:`Response.choices`; not with streaming);
    ``service_tier`` names the provider's processing tier (``"auto"``, ``"default"``, ``"flex"``,
    ``"priority"`` on OpenAI, ``"auto"`` / ``"standard_only"`` on Anthropic); ``prediction`` is
    the text most of the reply is expected to repeat (OpenAI Predicted Outputs; the
    ``{"type": "content", "content": ...}`` form is taken too); ``code_execution=True`` lets the
    model run code on the provider's side (Gemini code execution).  Each spec maps these to its
    wire fields or drops them with an ``unsupported-param`` warning (docs/usage.md, "Call options").
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    messages: list[Message]
    tools: list[Tool] = Field(default_factory=list)
    tool_choice: ToolChoice | None = None
    max_output_tokens: int | None = Field(default=None, ge=0)
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_format: ResponseFormat | None = None
    reasoning: Reasoning | None = None
    parallel_tool_calls: bool | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0)
    n: int | None = Field(default=None, ge=1, le=128)
    service_tier: str | None = None
    prediction: str | None = None
    code_execution: bool | None = None
    provider_options: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("messages", mode="before")
    @classmethod
    def _convert_messages(cls, value: Any) -> Any:
        from .messages import to_messages

        return to_messages(value)

    @field_validator("*", mode="after")
    @classmethod
    def _sendable(cls, value: Any, info: ValidationInfo) -> Any:
        # Refused here, naming the place, rather than by json.dumps or UTF-8 at send time: a lone
        # surrogate, a dict that contains itself, nesting past safejson.MAX_DEPTH, a set...
        reason = problem(value, info.field_name or "")
        if reason is not None:
            raise ValueError(reason)
        return value

    @field_validator("prediction", mode="before")
    @classmethod
    def _prediction_text(cls, value: Any) -> Any:
        # OpenAI's own form {"type": "content", "content": "..."} is taken too
        if isinstance(value, dict) and value.get("type") == "content" and isinstance(value.get("content"), str):
            return value["content"]
        return value

    @field_validator("stop_sequences", mode="before")
    @classmethod
    def _one_stop(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def generic_params(self) -> dict[str, Any]:
        """The generic options that were set, as plain JSON-able values."""
        out: dict[str, Any] = {}
        for name in GENERIC_PARAMS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value.model_dump(by_alias=True) if isinstance(value, BaseModel) else value
        return out


# --------------------------------------------------------------------------- results
class FinishReason(BaseModel):
    """Why generation stopped: ``unified`` is one of stop | length | tool_calls | content_filter |
    error | other; ``raw`` is the provider's own value (``None`` when it sent none).

    It compares equal to its unified string (``response.finish_reason == "tool_calls"``), and two
    finish reasons compare equal when both ``unified`` and ``raw`` match; it hashes like its unified
    string, so equal values hash alike."""

    model_config = ConfigDict(frozen=True)
    unified: UnifiedFinish
    raw: str | None = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.unified == other
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(self.unified)


class Usage(BaseModel):
    """Token usage.  A number the provider did not report is ``None``, never 0.

    ``input_tokens`` is the total input including cached tokens; ``cache_read_tokens`` and
    ``cache_write_tokens`` are subsets of it; ``reasoning_tokens`` is a subset of ``output_tokens``.
    ``total_tokens`` is the provider's total when it reports one, else input + output.

    The finer counts, each a subset of the count named before the colon, split what providers bill
    at their own price (docs/usage.md has the field table per API):

    * input: ``input_audio_tokens``, ``input_image_tokens``;
    * output: ``output_audio_tokens``, ``output_image_tokens``;
    * cache writes: ``cache_write_long_tokens``, the tokens written with the provider's longer
      retention (Anthropic and Bedrock 1 hour, OpenAI 12 hours), dearer than the default one.

    Counts outside the token total: ``citation_tokens`` (search-result tokens Perplexity bills
    apart) and ``search_requests`` (web searches the provider ran and bills per search).
    ``raw`` keeps the provider's usage object, including the fields with no unified meaning.
    """

    model_config = ConfigDict(frozen=True)
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    total_tokens: int | None = None
    cache_write_long_tokens: int | None = None
    input_audio_tokens: int | None = None
    output_audio_tokens: int | None = None
    input_image_tokens: int | None = None
    output_image_tokens: int | None = None
    citation_tokens: int | None = None
    search_requests: int | None = None
    raw: dict[str, Any] | None = None


class Cost(BaseModel):
    """Cost of one call in USD, from the spec's model catalog (prices in USD per million tokens,
    fees in USD per request or per thousand searches).  The parts add up to ``total``:

    * ``input``: uncached input tokens not priced apart; ``cache_read``, ``cache_write``: cached
      ones (``cache_write`` includes the long-retention writes);
    * ``output``: output tokens not priced apart; ``reasoning``: reasoning tokens, when the catalog
      prices them apart from output (else they are in ``output``);
    * ``audio``, ``image``: audio and image tokens (input and output), when priced apart;
    * ``citation``: Perplexity citation tokens; ``requests``: per-request fees; ``searches``:
      per-search fees.

    ``factor`` is the product of the catalog's conditional multipliers that applied (a regional
    endpoint, an off-peak discount…); every part already includes it.
    """

    model_config = ConfigDict(frozen=True)
    input: float
    output: float
    cache_read: float
    cache_write: float
    total: float
    reasoning: float = 0.0
    audio: float = 0.0
    image: float = 0.0
    citation: float = 0.0
    requests: float = 0.0
    searches: float = 0.0
    factor: float = 1.0


class TokenLogprob(BaseModel):
    """One output token with its log probability (natural log, so at most 0.0).

    ``bytes`` are the token's UTF-8 bytes when the provider sends them (a token may hold part of a
    character); ``top_logprobs`` are the most likely tokens at this position, most likely first
    (empty unless ``top_logprobs=k`` was asked for; their own ``top_logprobs`` are empty).
    Shapes: OpenAI ``logprobs.content[]`` (https://platform.openai.com/docs/api-reference/chat/object),
    Gemini ``logprobsResult`` (https://ai.google.dev/api/generate-content#LogprobsResult)."""

    model_config = ConfigDict(frozen=True)
    token: str
    logprob: float
    bytes: list[int] | None = None
    top_logprobs: list[TokenLogprob] = Field(default_factory=list)


class Choice(BaseModel):
    """One extra completion of a call made with ``n`` > 1 (the first is the :class:`Response`
    itself): its ``index`` in the provider's list, ``text``, ``finish_reason`` and token
    ``logprobs`` (when asked for).  Tool calls of extra choices are not unified: they stay in
    ``Response.raw``."""

    model_config = ConfigDict(frozen=True)
    index: int
    text: str = ""
    finish_reason: FinishReason | None = None
    logprobs: list[TokenLogprob] | None = None


class CallWarning(BaseModel):
    """A non-fatal note about a call: a clamped, dropped or unsupported parameter, an unknown model,
    an event the spec does not map.  ``kind`` is a short kebab-case tag."""

    model_config = ConfigDict(frozen=True)
    kind: str
    param: str | None = None
    detail: str


#: The type of :attr:`Response.parsed`: the pydantic model class given as ``response_format``
#: (``Response[Weather]``); a bare ``Response`` is ``Response[Any]``.
ParsedT = TypeVar("ParsedT", default=Any)


class Response(BaseModel, Generic[ParsedT]):
    """The final result of a call (also carried by the terminal ``finish`` stream event).

    ``text`` joins the text parts, ``reasoning`` the reasoning parts (``None`` when there were none);
    ``tool_calls`` lists the tool-call parts in order.  ``cost`` is ``None`` when a price or the
    usage is unknown, and ``cost_reason`` then says why.  ``provider_metadata`` holds what a
    provider returns beside the content, under its id (Perplexity ``citations``…).  ``raw`` is the
    provider's JSON body for non-streaming calls and ``None`` for streams.  ``parsed`` is the reply
    validated into the pydantic model given as ``response_format`` (``None`` when none was given,
    or when the model answered with tool calls instead).  ``logprobs`` are the output tokens with
    their log probabilities when the call asked for them (``logprobs=True``) and the provider sent
    them, else ``None``.  ``choices`` holds the extra completions of a call with ``n`` > 1 (the
    first completion is this response itself); it is empty otherwise.
    """

    model_config = ConfigDict(frozen=True)
    id: str | None = None
    provider: str
    model: str
    parts: list[Part] = Field(default_factory=list)
    text: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCallPart] = Field(default_factory=list)
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    cost: Cost | None = None
    cost_reason: str | None = None
    warnings: list[CallWarning] = Field(default_factory=list)
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)
    raw: Any = None
    parsed: ParsedT | None = None
    logprobs: list[TokenLogprob] | None = None
    choices: list[Choice] = Field(default_factory=list)

    def message(self) -> Message:
        """This response as an assistant :class:`Message`, ready to append to the conversation."""
        return Message(role="assistant", content=list(self.parts))


# --------------------------------------------------------------------------- stream events
# Stream events are the hot path (one object per chunk), so they are slotted dataclasses rather
# than pydantic models: building one costs a fraction of `model_construct`.  They carry pydantic
# values (parts, Usage, Response) and serialize with `model_dump()` like the models do.  A
# departure from "every type is pydantic" (docs/ARCHITECTURE.md section 3), for issue 6's per-chunk budget.
#
# Each event class names its ``type`` as a ``ClassVar`` of one ``Literal`` string, so a type checker
# narrows a :data:`StreamEvent` on ``event.type == "text_delta"`` (or ``match event.type``) to
# :class:`TextDelta`.  The base class declares no ``type`` of its own: a ``ClassVar[str]`` there
# would make every narrower override an incompatible one (pyright's invariance of mutable
# attributes).
class _Event:
    __slots__ = ()

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        """``{"type": …, <fields>}``; pydantic values inside are dumped with the same ``mode``."""
        out: dict[str, Any] = {"type": getattr(self, "type")}  # declared by each subclass
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = value.model_dump(mode=mode) if isinstance(value, BaseModel) else value
        return out


@dataclass(slots=True)
class ResponseStart(_Event):
    """First event of every stream."""

    type: ClassVar[Literal["response_start"]] = "response_start"
    provider: str
    model: str


@dataclass(slots=True)
class TextStart(_Event):
    type: ClassVar[Literal["text_start"]] = "text_start"
    index: int  # position of the part in Response.parts


@dataclass(slots=True)
class TextDelta(_Event):
    type: ClassVar[Literal["text_delta"]] = "text_delta"
    index: int
    delta: str


@dataclass(slots=True)
class TextEnd(_Event):
    type: ClassVar[Literal["text_end"]] = "text_end"
    index: int
    part: TextPart


@dataclass(slots=True)
class ReasoningStart(_Event):
    type: ClassVar[Literal["reasoning_start"]] = "reasoning_start"
    index: int


@dataclass(slots=True)
class ReasoningDelta(_Event):
    type: ClassVar[Literal["reasoning_delta"]] = "reasoning_delta"
    index: int
    delta: str


@dataclass(slots=True)
class ReasoningEnd(_Event):
    type: ClassVar[Literal["reasoning_end"]] = "reasoning_end"
    index: int
    part: ReasoningPart


@dataclass(slots=True)
class ToolCallStart(_Event):
    type: ClassVar[Literal["tool_call_start"]] = "tool_call_start"
    index: int
    tool_call_id: str | None
    tool_name: str | None


@dataclass(slots=True)
class ToolCallDelta(_Event):
    """A fragment of the tool call's JSON arguments text."""

    type: ClassVar[Literal["tool_call_delta"]] = "tool_call_delta"
    index: int
    delta: str


@dataclass(slots=True)
class ToolCallEnd(_Event):
    """The finished tool call, arguments parsed."""

    type: ClassVar[Literal["tool_call_end"]] = "tool_call_end"
    index: int
    part: ToolCallPart


@dataclass(slots=True)
class UsageUpdate(_Event):
    """Usage so far (normalized like :class:`Usage`); sent whenever the provider reports it."""

    type: ClassVar[Literal["usage"]] = "usage"
    usage: Usage


@dataclass(slots=True)
class WarningEvent(_Event):
    type: ClassVar[Literal["warning"]] = "warning"
    warning: CallWarning


@dataclass(slots=True)
class Finish(_Event):
    """Terminal event of a successful stream."""

    type: ClassVar[Literal["finish"]] = "finish"
    response: Response


@dataclass(slots=True)
class ErrorEvent(_Event):
    """Terminal event of a failed stream: the error (a :class:`specwire.SpecwireError`) and the
    partial response assembled up to the failure."""

    type: ClassVar[Literal["error"]] = "error"
    error: SpecwireError
    response: Response


#: Any stream event: a union discriminated by ``type`` (narrow on ``event.type == "…"``).
StreamEvent = Union[
    ResponseStart,
    TextStart,
    TextDelta,
    TextEnd,
    ReasoningStart,
    ReasoningDelta,
    ReasoningEnd,
    ToolCallStart,
    ToolCallDelta,
    ToolCallEnd,
    UsageUpdate,
    WarningEvent,
    Finish,
    ErrorEvent,
]

__all__ += [
    "ErrorEvent",
    "Finish",
    "ReasoningDelta",
    "ReasoningEnd",
    "ReasoningStart",
    "ResponseStart",
    "StreamEvent",
    "TextDelta",
    "TextEnd",
    "TextStart",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallStart",
    "UsageUpdate",
    "WarningEvent",
]
