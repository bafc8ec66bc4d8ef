"""The attempt loop of a router call, for every operation: written once and without I/O
(:func:`steps`), performed by a sync and an async driver (:func:`drive`, :func:`adrive`).

:class:`~specwire.router.plan.CallPlan` decides what comes next; :func:`steps` turns each decision
into *effects* (:class:`Do` a state or cache operation, :class:`Sleep`, :class:`Begin` an observed
attempt, :class:`Send` an attempt, :class:`Receive` its outcome, :class:`Emit` items to the caller)
and takes back their results, or their exceptions thrown in.  A driver performs them and yields
the caller's items: a stream's events, or the one result of a unary call (:func:`result` /
:func:`aresult` take it).  What an attempt sends and what its outcome gives the caller is the call
to make, a :class:`Call`:

- :class:`UnaryCall`: one request, one response (``Client.complete``, ``Client.embed``); a chat
  call may be answered from the response cache and fills it.
- :class:`StreamCall`: a stream of events, held back until the first content event
  (:class:`~specwire.router.streams.AttemptEvents`) so that an attempt that fails before it falls
  back unseen; a cached response replays as events.

Errors of a client call (:class:`~specwire.SpecwireError`) are failed attempts; anything else (a
cancellation, a ``break`` out of a stream) abandons the attempt, frees its slot and propagates.
The async driver runs state and cache operations off the event loop when the backend does network
I/O (:meth:`Router.off_loop <specwire.router.Router.off_loop>`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Generator
from contextlib import aclosing, closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import SpecwireError
from ..types import ErrorEvent, Finish, Response, ResponseStart
from .cache import events_from_response
from .plan import Attempt, CallPlan, Fail, Wait
from .streams import AttemptEvents, ResultHolder

if TYPE_CHECKING:
    from .core import Router
    from .observe import RouterObserver

__all__ = ["Begin", "Call", "Do", "Effect", "Emit", "Receive", "Send", "Sleep", "StreamCall", "UnaryCall", "adrive", "aresult", "drive", "result", "steps"]

Hit = tuple[Response, list[Any] | None]


class Call(ABC):
    """The call to make on each attempt of one router call: ``router``, its ``plan``, and
    whether the response cache is read and filled (``use_cache``)."""

    def __init__(self, router: Router, plan: CallPlan, *, use_cache: bool = False) -> None:
        self.router, self.plan, self.use_cache = router, plan, use_cache
        #: Whether the last attempt's outcome lets the call go on (it failed before the caller saw anything).
        self.again = False

    @abstractmethod
    def replay(self, hit: Hit) -> list[Any]:
        """The caller's items for a cached ``(response, events)``."""

    @abstractmethod
    def failure(self, error: SpecwireError) -> list[Any]:
        """The caller's items when the call failed with ``error`` (or raise it)."""

    @abstractmethod
    def send(self, att: Attempt, options: dict[str, Any]) -> Any:
        """Start the attempt's client call with these options; raises its error."""

    @abstractmethod
    async def asend(self, att: Attempt, options: dict[str, Any]) -> Any:
        """Async :meth:`send`."""

    @abstractmethod
    def receive(self, att: Attempt, sent: Any) -> Generator[Any, None, None]:
        """The caller's items from what :meth:`send` returned, reporting the outcome to the plan
        and setting :attr:`again`."""

    @abstractmethod
    def areceive(self, att: Attempt, sent: Any) -> AsyncGenerator[Any, None]:
        """Async :meth:`receive`."""


class UnaryCall(Call):
    """One request, one response: ``method(deployment ref, payload, **options)`` is the client's
    ``complete`` / ``embed`` (or their async twins); the result is annotated by the plan."""

    def __init__(self, router: Router, plan: CallPlan, method: Callable[..., Any], payload: Any, *, use_cache: bool = False) -> None:
        super().__init__(router, plan, use_cache=use_cache)
        self.method, self.payload = method, payload

    def replay(self, hit: Hit) -> list[Any]:
        return [self.plan.annotate(hit[0], cache_hit=True)]

    def failure(self, error: SpecwireError) -> list[Any]:
        raise error

    def send(self, att: Attempt, options: dict[str, Any]) -> Any:
        return self.method(att.dep.ref, self.payload, **options)

    async def asend(self, att: Attempt, options: dict[str, Any]) -> Any:
        return await self.method(att.dep.ref, self.payload, **options)

    def receive(self, att: Attempt, sent: Any) -> Generator[Any, None, None]:
        r, plan = self.router, self.plan
        plan.succeeded(att, sent)  # it reads the usage only, which every response has
        if self.use_cache:
            plan.store(att.dep, sent, None)
        r.record_call(plan, ok=True, response=sent)
        yield plan.annotate(sent)

    async def areceive(self, att: Attempt, sent: Any) -> AsyncGenerator[Any, None]:
        r, plan = self.router, self.plan
        await r.off_loop(plan.succeeded, att, sent)
        if self.use_cache:
            await r.off_loop(plan.store, att.dep, sent, None)
        r.record_call(plan, ok=True, response=sent)
        yield plan.annotate(sent)


class StreamCall(Call):
    """A stream of events (``Client.stream`` / ``Client.astream``); ``holder`` exposes the
    attempt that reaches the caller to its :class:`~specwire.router.streams.RouterStream`."""

    def __init__(self, router: Router, plan: CallPlan, holder: ResultHolder, *, use_cache: bool = False) -> None:
        super().__init__(router, plan, use_cache=use_cache)
        self.holder = holder

    def replay(self, hit: Hit) -> list[Any]:
        response, events = hit
        self.holder.cached = response
        seq = list(events) if events else events_from_response(response)
        return [*seq[:-1], Finish(response=self.plan.annotate(response, cache_hit=True))]

    def failure(self, error: SpecwireError) -> list[Any]:
        """The terminal events of a failed call: the last attempt's own events when it is the
        error being reported, else a ``response_start`` and an ``error`` event; the error
        event's response carries ``provider_metadata["router"]`` (:meth:`CallPlan.annotate`)."""
        plan = self.plan
        last = plan.last_events
        if last and isinstance(last[-1], ErrorEvent) and last[-1].error is error:
            return [*last[:-1], ErrorEvent(error=error, response=plan.annotate(last[-1].response))]
        start = next((e for e in last or () if isinstance(e, ResponseStart)), None)
        dep = plan.target.group.deployments[0] if plan.target.group.deployments else None
        provider = start.provider if start else dep.provider if dep else "router"
        model = start.model if start else dep.model if dep else plan.target.route
        return [start or ResponseStart(provider=provider, model=model), ErrorEvent(error=error, response=plan.annotate(Response(provider=provider, model=model)))]

    def send(self, att: Attempt, options: dict[str, Any]) -> Any:
        return self.router.client.stream(att.dep.ref, self.plan.request.messages, raise_on_error=False, **options)

    async def asend(self, att: Attempt, options: dict[str, Any]) -> Any:
        return self.router.client.astream(att.dep.ref, self.plan.request.messages, raise_on_error=False, **options)

    def receive(self, att: Attempt, sent: Any) -> Generator[Any, None, None]:
        self.holder.inner = sent
        machine = AttemptEvents(self.router, self.plan, att, self.use_cache)
        with sent:
            for event in sent:
                out, done = machine.feed(event)
                yield from out
                if done is not None:
                    break
            else:
                done = machine.ended()
        self.again = not done

    async def areceive(self, att: Attempt, sent: Any) -> AsyncGenerator[Any, None]:
        self.holder.inner = sent
        machine = AttemptEvents(self.router, self.plan, att, self.use_cache)
        off_loop = self.router.off_loop
        async with sent, aclosing(sent.__aiter__()) as events:
            async for event in events:
                if event.type in ("finish", "error"):  # the only events that touch shared state
                    out, done = await off_loop(machine.feed, event)
                else:
                    out, done = machine.feed(event)
                for item in out:
                    yield item
                if done is not None:
                    break
            else:
                done = await off_loop(machine.ended)
        self.again = not done


@dataclass(slots=True)
class Do:
    """Effect: run ``fn(*args)``, a state or cache operation (off the event loop when async)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


@dataclass(slots=True)
class Sleep:
    """Effect: sleep ``seconds`` on the router's clock."""

    seconds: float


@dataclass(slots=True)
class Emit:
    """Effect: pass ``items`` to the caller."""

    items: list[Any]


@dataclass(slots=True)
class Begin:
    """Effect: the observer's options for ``att`` (its ``on_retry`` runs here)."""

    obs: RouterObserver
    att: Attempt
    last_error: SpecwireError | None


@dataclass(slots=True)
class Send:
    """Effect: :meth:`Call.send` the attempt; the reply is what it returned."""

    att: Attempt
    options: dict[str, Any]


@dataclass(slots=True)
class Receive:
    """Effect: pass the attempt's outcome (:meth:`Call.receive`) to the caller."""

    att: Attempt
    sent: Any


Effect = Do | Sleep | Emit | Begin | Send | Receive


def steps(call: Call, obs: RouterObserver | None) -> Generator[Effect, Any, None]:
    """The loop of one router call, without I/O: yields the :data:`Effect` to perform next and
    takes its result (or its exception, thrown in) from the driver."""
    router, plan = call.router, call.plan
    if call.use_cache:
        hit = yield Do(plan.cached)
        if hit is not None:
            router.record_call(plan, ok=True, cache_hit=True)
            yield Emit(call.replay(hit))
            return
    while True:
        action = yield Do(plan.next)
        if isinstance(action, Wait):
            if obs is not None:
                obs.waited += action.seconds
            yield Sleep(action.seconds)
            continue
        if isinstance(action, Fail):
            router.record_call(plan, ok=False, error=action.error)
            yield Emit(call.failure(action.error))
            return
        options = action.options if obs is None else (yield Begin(obs, action, plan.last_error))
        try:
            sent = yield Send(action, options)
        except SpecwireError as exc:
            yield Do(plan.failed, (action, exc))
            continue
        except BaseException:
            plan.abandoned(action)
            raise
        try:
            yield Receive(action, sent)
        except BaseException:
            plan.abandoned(action)
            raise
        if not call.again:
            return


class _Pump:
    """Steps the loop: sends it the last effect's result (``reply``), or throws in the exception
    that performing the effect raised (``error``; the loop re-raises it, or handles it: a failed
    attempt)."""

    def __init__(self, loop: Generator[Effect, Any, None]) -> None:
        self.loop = loop
        self.reply: Any = None
        self.error: BaseException | None = None

    def next(self) -> Effect | None:
        """The next effect, or ``None`` when the call is over."""
        try:
            effect = self.loop.send(self.reply) if self.error is None else self.loop.throw(self.error)
        except StopIteration:
            return None
        self.reply = self.error = None
        return effect


def _perform(call: Call, effect: Effect) -> Any:
    if isinstance(effect, Do):
        return effect.fn(*effect.args)
    if isinstance(effect, Send):
        return call.send(effect.att, effect.options)
    if isinstance(effect, Sleep):
        return call.router.clock.sleep(effect.seconds)
    assert isinstance(effect, Begin)
    return effect.obs.attempt(effect.att.dep, effect.att.options, effect.last_error)


async def _aperform(call: Call, effect: Effect) -> Any:
    if isinstance(effect, Do):
        return await call.router.off_loop(effect.fn, *effect.args)
    if isinstance(effect, Send):
        return await call.asend(effect.att, effect.options)
    if isinstance(effect, Sleep):
        return await call.router.clock.asleep(effect.seconds)
    assert isinstance(effect, Begin)
    return await effect.obs.aattempt(effect.att.dep, effect.att.options, effect.last_error)


def drive(call: Call, obs: RouterObserver | None = None) -> Generator[Any, None, None]:
    """Run one router call (:func:`steps`): yields the caller's items (see the module docstring)."""
    pump = _Pump(steps(call, obs))
    while (effect := pump.next()) is not None:
        try:
            if isinstance(effect, Receive):
                with closing(call.receive(effect.att, effect.sent)) as items:
                    yield from items
            elif isinstance(effect, Emit):
                yield from effect.items
            else:
                pump.reply = _perform(call, effect)
        except BaseException as exc:  # noqa: BLE001 - thrown into the loop, which re-raises it
            pump.error = exc


async def adrive(call: Call, obs: RouterObserver | None = None) -> AsyncGenerator[Any, None]:
    """Async :func:`drive`: state and cache operations off the event loop when they do I/O."""
    pump = _Pump(steps(call, obs))
    while (effect := pump.next()) is not None:
        try:
            if isinstance(effect, Receive):
                async with aclosing(call.areceive(effect.att, effect.sent)) as received:
                    async for item in received:
                        yield item
            elif isinstance(effect, Emit):
                for item in effect.items:
                    yield item
            else:
                pump.reply = await _aperform(call, effect)
        except BaseException as exc:  # noqa: BLE001 - thrown into the loop, which re-raises it
            pump.error = exc


def result(call: UnaryCall, obs: RouterObserver | None = None) -> Any:
    """The one result of a unary call (raises the call's error)."""
    out = None
    for out in drive(call, obs):
        pass
    return out


async def aresult(call: UnaryCall, obs: RouterObserver | None = None) -> Any:
    """Async :func:`result`."""
    out = None
    async with aclosing(adrive(call, obs)) as items:
        async for out in items:
            pass
    return out
