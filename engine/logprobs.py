"""Token log probabilities and extra choices out of provider JSON, for the assembler.  Pure.

A spec's ``logprobs`` rule selects a list of token entries with JMESPath (docs/ARCHITECTURE.md
section 4); each entry is read leniently as ``{token, logprob, bytes?, top_logprobs?}``, the shape
OpenAI Chat Completions and the Responses API send
(https://platform.openai.com/docs/api-reference/chat/object, ``choices[].logprobs.content``).  A
provider that sends the alternatives apart, in a list parallel to the chosen tokens (Gemini
``logprobsResult.topCandidates``, https://ai.google.dev/api/generate-content#LogprobsResult),
gives them as the rule's ``top_logprobs`` field; a spec renames other keys with a JMESPath
multiselect (``chosenCandidates[].{token: token, logprob: logProbability}``).

An entry without a string ``token`` and a finite numeric ``logprob`` is left out (a hostile or
truncated body never raises here); ``bytes`` is kept only when it is a list of byte values.
"""

from __future__ import annotations

import math
from typing import Any

from .types import Choice, FinishReason, TokenLogprob

__all__ = ["choice", "token_logprobs"]


def _bytes(value: Any) -> list[int] | None:
    if isinstance(value, list) and all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256 for b in value):
        return list(value)  # pyright: ignore[reportUnknownArgumentType] - checked item by item above
    return None


def _entry(item: Any, top: Any = None) -> TokenLogprob | None:
    if not isinstance(item, dict):
        return None
    token, logprob = item.get("token"), item.get("logprob")
    if not isinstance(token, str) or isinstance(logprob, bool) or not isinstance(logprob, (int, float)) or not math.isfinite(logprob):
        return None
    alternatives = top if isinstance(top, list) else item.get("top_logprobs")
    tops = [t for t in (_entry(a) for a in alternatives) if t is not None] if isinstance(alternatives, list) else []
    return TokenLogprob(token=token, logprob=float(logprob), bytes=_bytes(item.get("bytes")), top_logprobs=tops)


def token_logprobs(items: Any, top: Any = None) -> list[TokenLogprob] | None:
    """The entries of ``items`` as :class:`TokenLogprob` values (``None`` when ``items`` is not a
    list); ``top``, when a list, holds each position's alternatives (a list of entries per item)."""
    if not isinstance(items, list):
        return None
    tops: list[Any] = top if isinstance(top, list) else []
    out: list[TokenLogprob] = []
    for i, item in enumerate(items):
        entry = _entry(item, tops[i] if i < len(tops) else None)
        if entry is not None:
            out.append(entry)
    return out


def choice(fields: dict[str, Any], finish_map: Any) -> Choice | None:
    """An extra choice (``n`` > 1) from a ``choice`` rule's fields: ``index`` (an integer),
    ``text``, ``finish_reason`` (raw; unified through the spec's ``finish_reasons``) and
    ``logprobs``.  ``None`` without a usable index."""
    index = fields.get("index")
    if isinstance(index, bool) or not isinstance(index, int):
        return None
    text = fields.get("text")
    raw = fields.get("finish_reason")
    finish = None
    if raw is not None:
        unified = finish_map.get(str(raw), ("other", "other"))[0]
        finish = FinishReason(unified=unified, raw=str(raw))
    return Choice(index=index, text=text if isinstance(text, str) else "", finish_reason=finish, logprobs=token_logprobs(fields.get("logprobs"), fields.get("top_logprobs")))
