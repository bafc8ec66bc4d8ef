"""Client-side rate limits: the token estimate and each deployment's buckets.

A deployment with ``rpm`` has a request bucket of ``rpm`` tokens refilled at ``rpm / 60`` per
second (one token per call); with ``tpm``, a token bucket of ``tpm`` refilled at ``tpm / 60`` per
second.  A call takes from both at once, all or nothing (:meth:`StateBackend.bucket_take`), so
bursts up to the full minute's budget pass and then calls are spaced at the refill rate.

**The estimate** (before the call, when nothing better is known)::

    prompt = ceil(characters / chars_per_token)   # text, reasoning, tool-call arguments and
                                                   # tool results of every message, plus the JSON
                                                   # of the tool definitions; 4 chars per token
                                                   # by default (OpenAI's rule of thumb for English)
           + 256 per image, document or audio part
    estimate = prompt + (max_output_tokens of the call, else rate_limit.default_output_tokens)

After the call the bucket is corrected by ``(input_tokens + output_tokens) - estimate`` from the
reported usage (a refund when the estimate was high, a debt when low); a call that failed before
any content gives its token estimate back (the request itself still counts against ``rpm``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..types import ReasoningPart, Request, TextPart, ToolCallPart, ToolResultPart
from .state import Bucket

__all__ = ["MEDIA_PART_TOKENS", "buckets_for", "estimate_tokens"]

MEDIA_PART_TOKENS = 256


def estimate_tokens(request: Request, *, chars_per_token: float = 4.0, default_output_tokens: int = 256) -> int:
    """The token estimate of a call (see the module docstring)."""
    chars = 0
    media = 0
    for message in request.messages:
        if isinstance(message.content, str):
            chars += len(message.content)
            continue
        for part in message.content:
            if isinstance(part, (TextPart, ReasoningPart)):
                chars += len(part.text)
            elif isinstance(part, ToolCallPart):
                chars += len(part.tool_name) + len(part.arguments_text or json.dumps(part.arguments or {}))
            elif isinstance(part, ToolResultPart):
                if isinstance(part.content, str):
                    chars += len(part.content)
                else:
                    for inner in part.content:
                        if isinstance(inner, TextPart):
                            chars += len(inner.text)
                        else:
                            media += 1
            else:
                media += 1
    for tool in request.tools:
        chars += len(json.dumps(tool.model_dump(mode="json"), separators=(",", ":")))
    prompt = math.ceil(chars / chars_per_token) + media * MEDIA_PART_TOKENS
    output = request.max_output_tokens if request.max_output_tokens is not None else default_output_tokens
    return prompt + output


def rpm_key(dep_id: str) -> str:
    return f"rl:{{{dep_id}}}:rpm"


def tpm_key(dep_id: str) -> str:
    return f"rl:{{{dep_id}}}:tpm"


def buckets_for(dep: Any, *, tokens: float = 0.0, requests: float = 1.0) -> list[Bucket]:
    """The buckets of a deployment (``rpm``, then ``tpm``), asking for ``requests`` and ``tokens``."""
    out = []
    if dep.rpm:
        out.append(Bucket(rpm_key(dep.id), float(dep.rpm), dep.rpm / 60.0, requests))
    if dep.tpm:
        out.append(Bucket(tpm_key(dep.id), float(dep.tpm), dep.tpm / 60.0, tokens))
    return out
