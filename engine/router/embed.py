"""Embeddings through the router: :meth:`Router.embed` / :meth:`Router.aembed`.

An embed call is routed like a chat call (:mod:`specwire.router.plan`): the name resolves to a
group and its fallback chains, the group's strategy picks a deployment whose circuit admits a
call, each attempt is one :meth:`specwire.Client.embed` with ``max_retries=0``, and the one retry
budget and total deadline cover retries and fallbacks together.  A deployment whose provider has
no ``embed`` operation (:class:`~specwire.UnsupportedOperationError`) is skipped for the next.
The inputs and option values are checked once, before the first attempt, so a bad call fails
without touching any deployment.

Differences from chat: the ``rpm``/``tpm`` estimate counts the inputs' characters (plus the
configured output allowance, corrected by the reported usage afterwards); embeddings are not
cached; the router's callbacks are not called for embeddings.  The result is the served
:class:`~specwire.EmbeddingResponse` with the route in ``provider_metadata["router"]``, as for chat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..client_ops import check_embed_inputs, check_embed_params
from ..errors import ConfigError
from ..request import check_call_options, check_extra_headers
from ..retry import Timeouts
from ..types import Request
from .drive import UnaryCall, aresult, result
from .plan import CallPlan, CallScope
from .resolve import Deployment

if TYPE_CHECKING:
    from ..op_types import EmbeddingResponse
    from .core import Router

__all__ = ["EMBED_PARAMS", "EmbedCallPlan", "aembed", "embed", "embed_url"]

#: The generic embed options a router call passes on to the deployment (specwire.Client.embed).
EMBED_PARAMS = ("dimensions", "input_type", "truncate", "user")
#: The router's own options and the call options it passes on.
_ROUTER_OPTIONS = ("settings", "extra_headers", "tags", "timeout", "max_retries")


@dataclass
class EmbedCallPlan(CallPlan):
    """A :class:`CallPlan` whose attempts are ``Client.embed`` calls: ``inputs`` (the texts) and
    ``params`` (the embed options) go to every deployment; ``request`` is the inputs as one user
    message, for the rate-limit estimate only."""

    inputs: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def dep_request(self, dep: Deployment) -> Request:
        return self.request

    def call_options(self, dep: Deployment, left: float | None) -> dict[str, Any]:
        return {**self.params, **self.attempt_options(dep, left)}


def embed_url(client: Any, model_ref: str, options: Mapping[str, Any]) -> str:
    """The URL an embed request of ``model_ref`` goes to with ``options`` (``base_url``,
    ``settings``), built without credentials: where a deployment of a provider without chat sends
    its key (the router's credential binding check)."""
    from ..operations import build_operation, operation_of

    host = client._host()
    spec, model, _ = host.registry.resolve(model_ref)
    settings = host.resolve_settings(spec, options.get("settings") or {})
    return build_operation(spec, operation_of(spec, "embed"), model=model, settings=settings, values={"inputs": ["x"]},
                           base_url=host.base_url(spec, options)).url


def _plan(router: Router, model: str, inputs: str | Sequence[str], options: Mapping[str, Any]) -> EmbedCallPlan:
    options = dict(options)
    for name in ("api_key", "base_url"):
        if name in options:
            raise ConfigError(f"{name}= is set per deployment in the router config, not per call")
    unknown = [k for k in options if k not in EMBED_PARAMS and k not in _ROUTER_OPTIONS]
    if unknown:
        raise ConfigError(f"Router.embed takes no option(s) {', '.join(map(repr, unknown))} (it takes: {', '.join((*EMBED_PARAMS, *_ROUTER_OPTIONS))})")
    texts = check_embed_inputs(inputs)
    params = {k: options[k] for k in EMBED_PARAMS if options.get(k) is not None}
    check_embed_params(params)
    check_call_options(options)
    check_extra_headers(options.get("extra_headers"))
    target = router.resolver.resolve(model)
    t = router.config.timeout
    timeout, max_retries = options.get("timeout"), options.get("max_retries")
    timeouts = Timeouts.of(timeout) if timeout is not None else Timeouts(connect=t.connect, read=t.read, total=t.total, pool=t.pool)
    started = router.clock.monotonic()
    request = Request.model_validate({"messages": [{"role": "user", "content": "\n".join(texts)}]})
    return EmbedCallPlan(
        router=CallScope(router, timeouts.total, started), target=target, request=request,
        options={k: options[k] for k in ("settings", "extra_headers") if options.get(k) is not None},
        stream=False, stream_mode=None, tags=frozenset(options.get("tags") or ()),
        budget=router.config.retry.retries if max_retries is None else int(max_retries),
        timeouts=timeouts, started=started, estimate=0, inputs=texts, params=params,
    )


def embed(router: Router, model: str, inputs: str | Sequence[str], options: Mapping[str, Any]) -> EmbeddingResponse:
    """Route one embed call (see the module docstring); raises the last attempt's error, or
    :class:`~specwire.router.NoDeploymentAvailableError`, when no deployment served it."""
    plan = _plan(router, model, inputs, options)
    return cast("EmbeddingResponse", result(UnaryCall(router, plan, router.client.embed, plan.inputs)))


async def aembed(router: Router, model: str, inputs: str | Sequence[str], options: Mapping[str, Any]) -> EmbeddingResponse:
    """Async :func:`embed` (state operations off the event loop when the backend does I/O)."""
    plan = _plan(router, model, inputs, options)
    return cast("EmbeddingResponse", await aresult(UnaryCall(router, plan, router.client.aembed, plan.inputs)))
