"""Client-side rate limits: the token estimate and each deployment's buckets.

A deployment with ``rpm`` has a request bucket of ``rpm`` tokens refilled at ``rpm / 60`` per
second (one token per call); with ``tpm``, a token bucket of ``tpm`` refilled at ``tpm / 60`` per
second.  A call takes from both at once, all or nothing (:meth:`StateBackend.bucket_take`), so
bursts up to the full minute's budget pass and then calls are spaced at the refill rate.

**The estimate** (before the call, when nothing better is known)::

    prompt = the deployment's local token count (specwire.tokens.local_count: its spec's
             tokenizer when that encoding is loaded in this process, else ceil(characters /
             chars_per_token) over the text, tool calls, tool results and tool definitions,
             4 chars per token by default) + 256 per image, document or audio part
    estimate = prompt + (max_output_tokens of the call, else rate_limit.default_output_tokens)

No count is ever fetched from the provider for a routed call.

After the call the bucket is corrected by ``(input_tokens + output_tokens) - estimate`` from the
reported usage (a refund when the estimate was high, a debt when low); a call that failed before
any content gives its token estimate back (the request itself still counts against ``rpm``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SpecwireError
from ..tokens import MEDIA_PART_TOKENS, estimate_prompt_tokens, local_count
from ..types import Request
from .state import Bucket

__all__ = ["MEDIA_PART_TOKENS", "buckets_for", "deployment_tokens", "estimate_tokens"]


def estimate_tokens(request: Request, *, chars_per_token: float = 4.0, default_output_tokens: int = 256, spec_data: Mapping[str, Any] | None = None,
                    model: str | None = None) -> int:
    """The token estimate of a call (see the module docstring); ``spec_data``/``model``: the
    deployment's spec (merged data) and model, for its tokenizer."""
    if spec_data is not None and model is not None:
        prompt, _ = local_count(spec_data, model, request, chars_per_token=chars_per_token)
    else:
        prompt = estimate_prompt_tokens(request, chars_per_token=chars_per_token)
    output = request.max_output_tokens if request.max_output_tokens is not None else default_output_tokens
    return prompt + output


def deployment_tokens(router: Any, request: Request, dep: Any = None) -> int:
    """:func:`estimate_tokens` for ``dep`` (a Deployment) with the router's ``rate_limit`` config."""
    rl = router.config.rate_limit
    spec_data = None
    if dep is not None:
        try:
            spec_data = router.registry.get(dep.provider).data
        except SpecwireError:
            spec_data = None
    return estimate_tokens(request, chars_per_token=rl.chars_per_token, default_output_tokens=rl.default_output_tokens,
                           spec_data=spec_data, model=dep.model if dep is not None else None)


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
