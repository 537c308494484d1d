"""An in-process router: a production's Python items, run as IRIS runs them, in one process.

Each component is built the way IRIS builds it (`__new__`, its host handle,
the item's settings as strings, `_dispatch_on_init`), and every send is
delivered to its target through IoP's own dispatch, with IoP's serialization
on every hop. Each hop is traced like an Ens.MessageHeader. A process or an
operation runs as many jobs as its PoolSize, as in IRIS: each job its own
component object (built and initialised as IRIS builds one per job), handling
one message at a time; a send waits for a free job. What IRIS adds and this
does not model: persistent queues, retries and timeouts. An async send is
delivered in the sender's thread before it returns; a failure there is traced
as an Error and not raised, as IRIS does not report it to the sender either.
"""

import contextvars
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from iop import BusinessOperation, BusinessProcess, BusinessService, Production

from kafka_demo.local_mode.trace.vocabulary import COMPLETED, ERROR, Hop, MemoryTrace, TraceSink

_session: contextvars.ContextVar[int | None] = contextvars.ContextVar("session", default=None)
_log = logging.getLogger(__name__)


class StandIn(Protocol):
    """An item of an IRIS class, stood in for here. The router builds it in the production's
    order; whoever gave its factory (runtime.py) starts and stops it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


StandInFactory = Callable[["LocalProduction", Any], StandIn]
"""Builds the stand-in for one item (its reference in the production) on this router."""


class DeliveryError(RuntimeError):
    """A sync send failed at its target; the text is what IRIS would report."""


class ResendFailed(DeliveryError):
    """A resend failed too, in the session `session_id`, which the trace keeps."""

    def __init__(self, message: str, session_id: int) -> None:
        super().__init__(message)
        self.session_id = session_id


@dataclass
class SkippedItem:
    name: str
    reason: str


@dataclass
class Job:
    """One job of an item: its own component object, one message at a time."""

    component: Any
    handle: "HostHandle"


@dataclass
class RunningItem:
    name: str
    jobs: list[Job]
    adapter_settings: dict[str, str]
    _free: "queue.SimpleQueue[Job]" = field(default_factory=queue.SimpleQueue)

    def __post_init__(self) -> None:
        for job in self.jobs:
            self._free.put(job)

    @property
    def component(self) -> Any:
        """The first job's component (a service, or an item of PoolSize 1, has only that one)."""
        return self.jobs[0].component

    @property
    def handle(self) -> "HostHandle":
        return self.jobs[0].handle

    def receive(self, request: Any) -> Any:
        """Deliver a serialized request through IoP's dispatch, on the first free job."""
        if not isinstance(self.component, BusinessProcess | BusinessOperation):
            raise DeliveryError(f"{self.name} is a business service and takes no requests")
        job = self._free.get()
        try:
            if isinstance(job.component, BusinessProcess):
                return job.component._dispatch_on_request(job.handle, request)
            return job.component._dispatch_on_message(request)
        finally:
            self._free.put(job)

    def tear_down(self) -> None:
        """Each job's on_tear_down, once the message it is handling is done."""
        for _ in self.jobs:
            job = self._free.get()
            try:
                job.component._dispatch_on_tear_down(job.handle)
            except Exception:
                _log.exception("%s failed to tear down", self.name)


class HostHandle:
    """What a component sees as its IRIS host (`iris_handle`): its sends go to the router."""

    def __init__(self, router: "LocalProduction", item_name: str) -> None:
        self._router = router
        self._item_name = item_name

    def dispatchSendRequestSync(  # noqa: N802 (IRIS method name)
        self, target: str, request: Any, timeout: int = -1, description: str = ""
    ) -> Any:
        return self._router.deliver(self._item_name, target, request, sync=True)

    def dispatchSendRequestAsync(self, target: str, request: Any, *_: Any) -> None:  # noqa: N802
        self._router.deliver(self._item_name, target, request, sync=False)


class LocalProduction:
    """The production's Python items, wired by their settings and targets, in this process."""

    def __init__(
        self,
        production: Production,
        *,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        skip: Mapping[str, str] | None = None,
        trace: TraceSink | None = None,
        standins: Mapping[str, StandInFactory] | None = None,
        pool_sizes: Mapping[str, int] | None = None,
    ) -> None:
        """`settings` overrides settings by item name; `skip` maps items not to run to why;
        `standins` maps an IRIS class name to what builds a stand-in for its items;
        `pool_sizes` overrides the PoolSize of processes and operations by item name."""
        self.production = production
        self.trace: TraceSink = trace if trace is not None else MemoryTrace()
        self._overrides = {name: dict(values) for name, values in (settings or {}).items()}
        self._skip = dict(skip or {})
        self._standin_factories = dict(standins or {})
        self._pool_sizes = dict(pool_sizes or {})
        self.items: dict[str, RunningItem] = {}
        self.standins: dict[str, StandIn] = {}
        self.skipped: list[SkippedItem] = []
        self._lock = threading.Lock()
        self._silent_failures: set[int] = set()  # sessions with an async hop that failed

    def start(self) -> None:
        """Build and initialise every item that can run here, in the production's order."""
        for ref in self.production.items:
            reason = self._skip.get(ref.name) or self._cannot_run_reason(ref)
            if reason:
                self.skipped.append(SkippedItem(ref.name, reason))
            elif ref.component_class is None:
                assert ref.class_name is not None  # else _cannot_run_reason gave a reason
                self.standins[ref.name] = self._standin_factories[ref.class_name](self, ref)
                _log.info("started %s (stand-in for the IRIS class %s)", ref.name, ref.class_name)
            else:
                self.items[ref.name] = self._start_item(ref)

    def stop(self) -> None:
        """Tear every item down (consumers closed, engines disposed), last started first. An
        item's teardown waits for the request it is handling. The stand-ins are not stopped
        here: their owner stops them (runtime.stop_production)."""
        for item in reversed(list(self.items.values())):
            item.tear_down()
        self.items.clear()

    def component(self, name: str) -> Any:
        return self.items[name].component

    def adapter_setting(self, name: str, setting: str, default: str) -> str:
        return self.items[name].adapter_settings.get(setting, default)

    def process_input(self, service_name: str, request: Any = None) -> Any:
        """What an IRIS adapter (or the Director) does: call the service's OnProcessInput."""
        item = self.items[service_name]
        if not isinstance(item.component, BusinessService):
            raise DeliveryError(f"{service_name} is not a business service")
        token = _session.set(None)
        try:
            return item.component._dispatch_on_process_input(request)
        finally:
            _session.reset(token)

    def deliver(self, source: str, target: str, request: Any, *, sync: bool) -> Any:
        """One send: trace it, hand it to the target's dispatch, trace the answer.

        A send that opens a session (a service's, or one from outside) ends it
        when it returns or raises, and the trace then keeps the session's hops.
        """
        session_id = _session.get()
        if session_id is not None:
            return self._deliver(session_id, source, target, request, sync=sync)
        return self._in_session(self.trace.new_session(), source, target, request, sync=sync)

    def resend(self, source: str, target: str, request: Any) -> int:
        """Send a traced request again, sync, in a new session (as the Message Viewer's Resend
        does); the new session's id. Raises ResendFailed, naming that session, where deliver()
        raises DeliveryError."""
        session_id = self.trace.new_session()
        try:
            self._in_session(session_id, source, target, request, sync=True)
        except DeliveryError as error:
            raise ResendFailed(str(error), session_id) from error
        return session_id

    def _in_session(
        self, session_id: int, source: str, target: str, request: Any, *, sync: bool
    ) -> Any:
        try:
            response = self._deliver(session_id, source, target, request, sync=sync)
        except BaseException:
            self._end_failed_session(session_id)
            raise
        self._end_session(session_id)
        return response

    def _end_session(self, session_id: int) -> None:
        """Keep a session's trace. If that fails, the delivery still stands (its effects are
        committed): the sender must not send it again. Unless an async hop of it failed:
        then the trace is the only record of that failure, so the sender must see one."""
        failed_silently = self._take_silent_failure(session_id)
        try:
            self.trace.end_session(session_id)
        except Exception as error:
            if failed_silently:
                raise DeliveryError(
                    f"session {session_id} failed and its trace could not be kept: {error}"
                ) from error
            _log.error(
                "session %s was delivered, but its trace was not kept: %s", session_id, error
            )

    def _end_failed_session(self, session_id: int) -> None:
        """The sender sees the failure anyway; a trace that cannot be kept is only logged."""
        self._take_silent_failure(session_id)
        try:
            self.trace.end_session(session_id)
        except Exception as error:
            _log.error("the trace of failed session %s was not kept: %s", session_id, error)

    def _take_silent_failure(self, session_id: int) -> bool:
        with self._lock:
            if session_id in self._silent_failures:
                self._silent_failures.remove(session_id)
                return True
            return False

    def _deliver(
        self, session_id: int, source: str, target: str, request: Any, *, sync: bool
    ) -> Any:
        hop = self.trace.record(_hop(session_id, source, target, "Request", request))
        item = self.items.get(target)
        if item is None:
            error = f"ERROR <Ens>ErrBusinessDispatchNameNotRegistered: {target}"
            self.trace.finish(hop, ERROR, error)
            raise DeliveryError(error)
        token = _session.set(session_id)
        try:
            response = item.receive(request)
        except Exception as exc:
            error = (
                f"Exception in Python class: {type(item.component).__name__}"
                f" - {type(exc).__name__} - {exc}"
            )
            self.trace.finish(hop, ERROR, error)
            _log.warning("%s -> %s: %s", source, target, error)
            if sync:
                raise DeliveryError(error) from exc
            with self._lock:
                self._silent_failures.add(session_id)
            return None
        finally:
            _session.reset(token)
        self.trace.finish(hop, COMPLETED)
        if sync and response not in (None, ""):
            reply = self.trace.record(_hop(session_id, target, source, "Response", response))
            self.trace.finish(reply, COMPLETED)
        return response if sync else None

    def _start_item(self, ref: Any) -> RunningItem:
        jobs = [self._start_job(ref) for _ in range(self._pool_size(ref))]
        if len(jobs) > 1:
            _log.info("started %s (%s), %d jobs", ref.name, ref.class_name, len(jobs))
        else:
            _log.info("started %s (%s)", ref.name, ref.class_name)
        adapter_settings = {name: str(value) for name, value in ref.adapter_settings.items()}
        return RunningItem(ref.name, jobs, adapter_settings)

    def _start_job(self, ref: Any) -> Job:
        component = ref.component_class.__new__(ref.component_class)
        handle = HostHandle(self, ref.name)
        component._set_iris_handles(handle, None)
        for name, value in {**ref.host_settings, **self._overrides.get(ref.name, {})}.items():
            # IRIS hands every setting over as a string; so does this router.
            setattr(component, name, str(value))
        component._dispatch_on_connected(handle)
        component._dispatch_on_init(handle)
        return Job(component, handle)

    def _pool_size(self, ref: Any) -> int:
        """A process's or an operation's jobs: its PoolSize (at least one: a process of
        PoolSize 0 runs in IRIS's shared actor pool, here in a job of its own). A service
        has one object: its adapter's (KafkaDemoBS), or the one the REST door calls."""
        if not issubclass(ref.component_class, BusinessProcess | BusinessOperation):
            return 1
        return max(1, int(self._pool_sizes.get(ref.name, ref.pool_size)))

    def _cannot_run_reason(self, ref: Any) -> str:
        if ref.component_class is None and ref.class_name not in self._standin_factories:
            return f"{ref.class_name} is an IRIS class; it runs only in IRIS"
        if str(ref.enabled).lower() in ("false", "0"):
            return "disabled in the production"
        return ""


def _hop(session_id: int, source: str, target: str, kind: str, message: Any) -> Hop:
    iris_classname = getattr(message, "_ClassName", None)
    classname = getattr(message, "classname", "") or (
        iris_classname(1) if callable(iris_classname) else type(message).__name__
    )
    body_text = getattr(message, "json_text", None)
    body = body_text() if callable(body_text) else str(message)
    return Hop(session_id, source, target, kind, classname, body)
