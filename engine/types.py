"""The unified value types (docs/ARCHITECTURE.md section 3), all in one module.

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

import builtins
from dataclasses import dataclass, fields
from typing import Annotated, Any, ClassVar, Generic, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator
from typing_extensions import TypeVar  # PEP 696 defaults (typing has them from 3.13); pydantic requires typing_extensions

from .errors import SpecwireError
from .safejson import problem

__all__ = [
    "AudioPart",
    "CallWarning",
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
    "UNIFIED_FINISH_REASONS",
    "Usage",
]

Role = Literal["system", "developer", "user", "assistant", "tool"]
UnifiedFinish = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
UNIFIED_FINISH_REASONS: tuple[str, ...] = ("stop", "length", "tool_calls", "content_filter", "error", "other")

_FROZEN = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- content parts
class TextPart(BaseModel):
    """Visible text."""

    model_config = _FROZEN
    type: Literal["text"] = "text"
    text: str
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ImagePart(BaseModel):
    """An image, given either as an ``url`` (http(s)) or as base64 ``data`` with its ``media_type``."""

    model_config = _FROZEN
    type: Literal["image"] = "image"
    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> ImagePart:
        if (self.url is None) == (self.data is None):
            raise ValueError("an image needs exactly one of `url` or `data`")
        if self.data is not None and not self.media_type:
            raise ValueError("base64 image data needs a `media_type` such as 'image/png'")
        return self


class DocumentPart(BaseModel):
    """A document (PDF, plain text…) as ``url`` or base64 ``data`` with ``media_type``."""

    model_config = _FROZEN
    type: Literal["document"] = "document"
    url: str | None = None
    data: str | None = None
    media_type: str = "application/pdf"
    filename: str | None = None
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> DocumentPart:
        if (self.url is None) == (self.data is None):
            raise ValueError("a document needs exactly one of `url` or `data`")
        return self


class AudioPart(BaseModel):
    """Audio input as base64 ``data``; ``media_type`` such as ``audio/wav`` or ``audio/mpeg``."""

    model_config = _FROZEN
    type: Literal["audio"] = "audio"
    data: str
    media_type: str = "audio/wav"
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ReasoningPart(BaseModel):
    """Model reasoning ("thinking").  ``redacted`` parts carry no text, only opaque metadata."""

    model_config = _FROZEN
    type: Literal["reasoning"] = "reasoning"
    text: str = ""
    redacted: bool = False
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ToolCallPart(BaseModel):
    """A call of a tool by the model.

    ``arguments`` is the parsed JSON object, or ``None`` when the text the provider streamed is not a
    JSON object (for example cut off by ``max_tokens``); ``arguments_text`` keeps the raw text as
    streamed (``None`` when the provider sent an object).  ``provider_executed`` marks calls the
    provider ran itself (Anthropic ``server_tool_use``); they need no client-side execution.
    """

    model_config = _FROZEN
    type: Literal["tool_call"] = "tool_call"
    tool_call_id: str | None = None
    tool_name: str
    arguments: dict[str, Any] | None = Field(default_factory=dict)
    arguments_text: str | None = None
    provider_executed: bool = False
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ToolResultPart(BaseModel):
    """The result of a tool call, sent back to the model.  ``content`` is text or a list of parts."""

    model_config = _FROZEN
    type: Literal["tool_result"] = "tool_result"
    tool_call_id: str
    tool_name: str | None = None
    content: str | list[Annotated[Union[TextPart, ImagePart], Field(discriminator="type")]] = ""
    is_error: bool = False
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ProviderPart(BaseModel):
    """A provider-specific content block kept as the provider sent it: results of tools the provider
    ran itself (Anthropic ``web_search_tool_result``, ``mcp_tool_result``…), OpenAI Responses items
    such as ``web_search_call`` or ``mcp_list_tools``, and any block type a spec does not know (with
    a warning).  ``provider`` is the namespace it belongs to (like ``provider_metadata`` keys),
    ``provider_type`` the provider's type name, ``data`` the block as sent and ``tool_call_id`` the
    provider-executed call it answers, if any.  It is echoed back only to the same provider (when
    its spec has a ``request.parts.provider`` rule) and left out for any other."""

    model_config = _FROZEN
    type: Literal["provider"] = "provider"
    provider: str
    provider_type: str
    data: dict[str, Any] = Field(default_factory=dict)
    tool_call_id: str | None = None
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)


Part = Annotated[
    Union[TextPart, ImagePart, DocumentPart, AudioPart, ReasoningPart, ToolCallPart, ToolResultPart, ProviderPart],
    Field(discriminator="type"),
]


class Message(BaseModel):
    """One conversation turn: a ``role`` and its content (a string, or a list of parts).

    OpenAI-style message dicts are accepted wherever messages are (see :mod:`specwire.messages`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    role: Role
    content: str | list[Part]
    name: str | None = None

    @property
    def parts(self) -> list[Any]:
        """The content as a list of parts (a string becomes one :class:`TextPart`)."""
        if isinstance(self.content, str):
            return [TextPart(text=self.content)] if self.content else []
        return list(self.content)


# --------------------------------------------------------------------------- call options
class Tool(BaseModel):
    """A function the model may call: ``parameters`` is a JSON Schema object."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _openai_style(cls, data: Any) -> Any:
        # {"type": "function", "function": {"name": …, "description": …, "parameters": …}}
        if isinstance(data, dict) and data.get("type") == "function" and isinstance(data.get("function"), dict):
            return dict(data["function"])
        return data


class ToolChoice(BaseModel):
    """``auto`` (model decides), ``none`` (no tools), ``required`` (some tool), or ``tool`` + ``name``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: Literal["auto", "none", "required", "tool"]
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"type": data} if data in ("auto", "none", "required") else {"type": "tool", "name": data}
        if isinstance(data, dict):
            if data.get("type") == "function" and isinstance(data.get("function"), dict):
                return {"type": "tool", "name": data["function"].get("name")}
            if data.get("type") == "any":
                return {"type": "required"}
        return data

    @model_validator(mode="after")
    def _name_for_tool(self) -> ToolChoice:
        if (self.type == "tool") != (self.name is not None):
            raise ValueError("tool_choice type 'tool' needs a `name` (and only it takes one)")
        return self


class ResponseFormat(BaseModel):
    """``text``, ``json`` (any JSON object) or ``json_schema`` with a ``schema`` (and a ``name``).

    Also accepts a pydantic model class: ``json_schema`` with the class's JSON schema, its name and
    ``strict=True``; the reply is then validated into an instance (``Response.parsed``,
    docs/structured-output.md).  :attr:`output_type` is that class (``None`` otherwise).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    type: Literal["text", "json", "json_schema"]
    name: str = "response"
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None
    # ``builtins.type``: the field ``type`` above shadows the builtin in the class body
    _output_type: builtins.type[BaseModel] | None = PrivateAttr(default=None)

    @property
    def output_type(self) -> builtins.type[BaseModel] | None:
        """The pydantic model class the reply is validated into, or ``None``."""
        return self._output_type

    @model_validator(mode="wrap")
    @classmethod
    def _from_model_class(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, type) and issubclass(data, BaseModel):
            out = handler({"type": "json_schema", "name": data.__name__, "schema": data.model_json_schema(), "strict": True})
            out._output_type = data
            return out
        return handler(data)

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"type": data}
        if isinstance(data, dict):
            if data.get("type") == "json_object":
                return {"type": "json"}
            inner = data.get("json_schema")
            if data.get("type") == "json_schema" and isinstance(inner, dict) and "schema" in inner:
                return {"type": "json_schema", **inner}  # OpenAI style
        return data

    @model_validator(mode="after")
    def _schema_needed(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("response_format json_schema needs a `schema`")
        return self


class Reasoning(BaseModel):
    """How much the model should think: an ``effort`` level, a token ``budget_tokens``, or both.

    Accepts ``"high"`` (an effort), ``2048`` (a budget in tokens) or a dict.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    budget_tokens: int | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("reasoning takes an effort level or a token budget, not a bool")
        if isinstance(data, str):
            return {"effort": data}
        if isinstance(data, int):
            return {"budget_tokens": data}
        return data


#: The generic call options, named once.  A spec's ``params`` section maps each to wire fields.
GENERIC_PARAMS: tuple[str, ...] = (
    "max_output_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "response_format",
    "reasoning",
    "tool_choice",
    "parallel_tool_calls",
    "user",
    "metadata",
)


class Request(BaseModel):
    """The unified request: messages, tools and generic options.

    An option left at ``None`` is not sent.  ``provider_options={"<provider>": {...}}`` is merged into
    the wire body untouched, last.  ``messages`` may be OpenAI-style dicts.
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
    or when the model answered with tool calls instead).
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

#: The ``type`` of the content events (text, reasoning, tool calls): after the first of them
#: reaches the caller nothing is retried, and deadlines count from the last one.
CONTENT_EVENT_TYPES = frozenset(
    {
        "text_start", "text_delta", "text_end", "reasoning_start", "reasoning_delta", "reasoning_end",
        "tool_call_start", "tool_call_delta", "tool_call_end",
    }
)

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
