"""Counting a gateway request's input tokens (the ``count_tokens`` endpoint operation).

The router routes no ``count_tokens`` call (:class:`~specwire.router.Router` has chat, stream and
embed calls only), so the count is local: :func:`specwire.tokens.local_count` for the first
deployment of the group the model resolves to, the count the router's token-per-minute limits
use (:mod:`specwire.router.ratelimit`): the deployment's spec's tokenizer when its encoding is
loaded in the gateway's process, else ``ceil(characters / chars_per_token)`` (the router's
``rate_limit.chars_per_token``, 4 by default) plus a fixed count per image, document or audio
part.  Nothing is sent upstream.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SpecwireError

__all__ = ["count_input_tokens"]


def count_input_tokens(router: Any, model: str, messages: Any, options: Mapping[str, Any]) -> int:
    """The input tokens of a call of ``model`` (a name the router resolves) with ``messages`` and
    the call's unified ``options`` (only ``tools`` counts besides the messages).  Raises the
    router's :class:`~specwire.errors.ModelNotFoundError` for an unknown name and
    :class:`~specwire.errors.RequestBuildError` for messages or tools that do not validate."""
    from ..tokens import local_count
    from ..validate import request_from

    deployment = router.resolve(model).group.deployments[0]
    tools = options.get("tools")
    request = request_from(messages, {"tools": tools} if tools else {})
    try:
        spec_data = router.registry.get(deployment.provider).data
    except SpecwireError:  # no spec to read a tokenizer from: the estimate
        spec_data = {}
    count, _ = local_count(spec_data, deployment.model, request, chars_per_token=router.config.rate_limit.chars_per_token)
    return count
