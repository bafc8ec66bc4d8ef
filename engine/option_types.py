"""The value types of a call's options: :class:`Tool`, :class:`ToolChoice`,
:class:`ResponseFormat` and :class:`Reasoning` (docs/ARCHITECTURE.md section 3).

Split out of :mod:`specwire.types`, which re-exports every name here (``specwire.types.Tool`` is
``specwire.option_types.Tool``).  Each accepts its short and OpenAI-style forms too
(``tool_choice="auto"``, ``reasoning="high"`` or ``2048``, ``response_format="json"``, tool dicts).
"""

from __future__ import annotations

import builtins
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

__all__ = ["Reasoning", "ResponseFormat", "Tool", "ToolChoice"]


class Tool(BaseModel):
    """A function the model may call: ``parameters`` is a JSON Schema object.

    ``provider_metadata`` is provider-specific data for this definition, keyed by provider id like a
    part's, which the spec's ``tool`` template sees as ``meta`` (Anthropic
    ``{"anthropic": {"cache_control": {"type": "ephemeral"}}}`` marks a cache breakpoint after it).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None
    provider_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)

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
