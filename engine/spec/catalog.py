"""The compiled catalog entry: :class:`ModelInfo` and its :class:`Pricing` (docs/ARCHITECTURE.md
section 4, ``models``).  Token counts in tokens, prices in USD per million tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..jpath import JPath
    from .compile import ParamCase

__all__ = ["TOKEN_PRICES", "ModelInfo", "PriceRule", "Pricing"]


#: The per-million-token prices of a catalog entry, besides input/output/cache_read/cache_write
#: (accounting.py says which usage count each one prices).
TOKEN_PRICES = ("cache_write_long", "input_audio", "output_audio", "input_image", "output_image", "reasoning", "citation")


@dataclass(frozen=True, slots=True)
class PriceRule:
    """A conditional pricing term: a per-request fee (``value`` in USD) or a cost multiplier
    (``value`` a factor).  ``when`` is a JMESPath over the pricing context (accounting.py);
    ``None`` always holds."""

    when: JPath | None
    value: float
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Pricing:
    """USD per million tokens; ``tiers`` apply above an input size, highest threshold first.
    ``extra`` holds the :data:`TOKEN_PRICES` the entry gives; ``per_request`` is USD per request,
    ``request_fees`` conditional per-request fees (the first that holds replaces ``per_request``),
    ``per_1k_searches`` USD per thousand searches, ``multipliers`` conditional factors."""

    input: float | None
    output: float | None
    cache_read: float | None
    cache_write: float | None
    tiers: tuple[tuple[int, Pricing], ...] = ()
    source: str | None = None
    as_of: str | None = None
    extra: MappingProxyType[str, float | None] = field(default_factory=lambda: MappingProxyType({}))
    per_request: float | None = None
    request_fees: tuple[PriceRule, ...] = ()
    per_1k_searches: float | None = None
    multipliers: tuple[PriceRule, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain data (``specwire models --json``): the prices as the spec writes them."""
        out: dict[str, Any] = {"input": self.input, "output": self.output, "cache_read": self.cache_read, "cache_write": self.cache_write}
        out.update(self.extra)
        if self.per_request is not None:
            out["per_request"] = self.per_request
        if self.request_fees:
            out["request_fees"] = [{"when": r.when.source if r.when else None, "usd": r.value} for r in self.request_fees]
        if self.per_1k_searches is not None:
            out["per_1k_searches"] = self.per_1k_searches
        if self.multipliers:
            out["multipliers"] = [{"when": r.when.source if r.when else None, "factor": r.value, "note": r.note} for r in self.multipliers]
        return out


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A catalog entry.  Token counts in tokens, prices in USD per million tokens."""

    id: str
    aliases: tuple[str, ...]
    display_name: str | None
    context_window: int | None
    max_output_tokens: int | None
    capabilities: MappingProxyType[str, bool | None]
    pricing: Pricing | None
    deprecated: MappingProxyType[str, str] | None
    params: MappingProxyType[str, tuple[ParamCase, ...] | None]
    #: provenance of an entry: where its facts come from and their date, and the imported catalog
    #: it came from (``None``: written by hand in the spec's ``models``)
    source: str | None = None
    as_of: str | None = None
    catalog: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data (template context ``model_info``, ``specwire models --json``)."""
        p = self.pricing
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "display_name": self.display_name,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "capabilities": dict(self.capabilities),
            "pricing": None if p is None else {
                **p.as_dict(),
                "tiers": [{"above_input_tokens": t, **tp.as_dict()} for t, tp in p.tiers],
                "source": p.source, "as_of": p.as_of,
            },
            "deprecated": dict(self.deprecated) if self.deprecated else None,
            "source": self.source,
            "as_of": self.as_of,
            "catalog": self.catalog,
        }
