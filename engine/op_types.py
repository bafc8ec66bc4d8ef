"""The results of the operations besides chat (docs/ARCHITECTURE.md section 4, "Operations"):
:class:`EmbeddingResponse`, :class:`TokenCount`, :class:`ListedModel`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .types import CallWarning, Cost, Usage

__all__ = ["EmbeddingResponse", "ListedModel", "TokenCount"]


class EmbeddingResponse(BaseModel):
    """The vectors of an ``embed`` call: ``vectors[i]`` is the embedding of ``inputs[i]`` (a list of
    floats; its length is the model's dimensions, or ``dimensions=`` when given).  ``usage``:
    ``input_tokens`` (and ``total_tokens``) summed over the batches the call was split into
    (``None`` when the provider reports none); ``cost`` in USD from the catalog's input price
    (``None`` with ``cost_reason`` when unknown).  ``provider_metadata``: what is not part of the
    vectors; a :class:`~specwire.Router` call puts its route there (``"router"``: ``route``,
    ``deployment``, ``attempts``, ``fallbacks``, ``cache_hit``, as on a chat
    :class:`~specwire.Response`)."""

    model_config = ConfigDict(frozen=True)
    provider: str
    model: str
    vectors: list[list[float]]
    usage: Usage | None = None
    cost: Cost | None = None
    cost_reason: str | None = None
    warnings: list[CallWarning] = Field(default_factory=list)
    provider_metadata: dict[str, Any] = Field(default_factory=dict)


class TokenCount(BaseModel):
    """How many input tokens a request would use.  ``method``: ``"provider"`` (the provider's own
    count endpoint: exact), ``"tokenizer"`` (a local tokenizer of the model's family, e.g.
    tiktoken: exact for the text, approximate for a message's framing), or ``"estimate"``
    (characters ÷ 4: approximate).  ``exact`` is ``True`` only for ``"provider"``."""

    model_config = ConfigDict(frozen=True)
    provider: str
    model: str
    input_tokens: int
    method: Literal["provider", "tokenizer", "estimate"]
    warnings: list[CallWarning] = Field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.method == "provider"


class ListedModel(BaseModel):
    """One model of :meth:`Client.list_models`: what the provider's ``/models`` endpoint says
    (``listed``), merged with the catalog (``in_catalog``, ``catalog``: the entry as plain data,
    prices in USD per million tokens).  ``created``: Unix seconds when the provider gives it;
    ``context_window``/``max_output_tokens`` in tokens, the provider's figure first."""

    model_config = ConfigDict(frozen=True)
    provider: str
    id: str
    display_name: str | None = None
    created: int | None = None
    owned_by: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    listed: bool = True
    in_catalog: bool = False
    catalog: dict[str, Any] | None = None
