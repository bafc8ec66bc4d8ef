"""Message content: the parts of a message and :class:`Message` itself (docs/ARCHITECTURE.md section 3).

Split out of :mod:`specwire.types`, which re-exports every name here (``specwire.types.TextPart``
is ``specwire.parts.TextPart``).  Shapes::

    Message(role, content: str | list[Part])
    Part = TextPart | ImagePart | DocumentPart | AudioPart | ReasoningPart | ToolCallPart | ToolResultPart | ProviderPart

``provider_metadata`` on a part is opaque data keyed by provider id.  It is echoed back on the next
turn (Anthropic thinking signatures, Gemini ``thoughtSignature``), and a spec's part templates see
the caller's own entries as ``meta`` (for example Anthropic ``cache_control`` on one block:
``{"anthropic": {"cache_control": {"type": "ephemeral"}}}``).  One provider's entry is never sent
to another.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AudioPart",
    "DocumentPart",
    "ImagePart",
    "Message",
    "Part",
    "ProviderPart",
    "ReasoningPart",
    "Role",
    "TextPart",
    "ToolCallPart",
    "ToolResultPart",
]

Role = Literal["system", "developer", "user", "assistant", "tool"]

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
