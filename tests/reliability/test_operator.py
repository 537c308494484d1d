"""An operator at work: random sequences of what operators do to real `kafka-demo` processes,
with the promise checked after every step.

A hypothesis rule-based state machine starts, stops and SIGKILLs `kafka-demo local`,
starts a second instance on the same database (which must be refused), produces
records with and without a Kafka key, POSTs, holds the SQLite file locked longer
than the busy timeout, replays, and restarts the broker. The broker is the test's
own (Tansu, memory storage, `--bootstrap`), so it outlives the instances; a restart
is a new, empty broker on the same port. After every step:

- no keyed record is stored twice;
- no record is lost: each one produced is stored, or is an Error that `replay` offers
  (records still in a broker that is restarted before any instance read them are lost
  with it, and left out);
- one session per input: no session holds the requests of two inputs;
- a running instance's rows are untouched by any other process;
- every Error is stored since, or offered by `replay`.

A keyed record is identified by its key on both Kafka doors, and a keyless one by
its log (cluster, topic id, partition, offset), so neither a rebalance between the
doors nor a new broker stores a record twice or skips one.

Short form in the normal suite: a fixed sequence doing every action, and three derandomized
sequences of up to 12 steps; KAFKA_DEMO_FULL=1 (misc/scripts/reliability.sh) runs ten random
sequences of up to 40 steps.
"""

import json
import os
import signal
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from kafka import KafkaProducer
from sqlalchemy import create_engine

from kafka_demo.defaults import DLQ_TOPIC, KAFKA_DEMO_BP, KAFKA_REST_BS, TOPIC
from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics
from kafka_demo.local_mode.database import trace_url
from kafka_demo.local_mode.trace.queries import TracedSession, failed_inputs, last_sessions
from tests.reliability.support import FULL, figures, product_value, scaled
from tests.support.local_process import LocalProcess, http, kafka_demo
from tests.support.storage import hold_exclusive_lock, stored_names

SEQUENCES = scaled(3, 10)
STEPS = scaled(12, 40)
"""Hypothesis tries the simplest sequence first (one rule over and over), and enables a random
subset of the rules in each sequence after it (swarm testing): the short form's sequences
make about 30 steps, and test_every_operator_action_in_one_sequence does each action at
least once in a fixed order."""
SETTLE_S = 60.0
"""How long every record produced may take to be stored (or to end in an Error)."""
LOCK_S = 6.5
"""Longer than the runtime's SQLite busy timeout (5 s): writes waiting on the lock fail."""
LOCKS_PER_SEQUENCE = 2
"""Each lock costs its seconds: a few per sequence show what one shows."""
PRICE = "1.5"


class Operator(RuleBasedStateMachine):
    """One sequence of operator actions on one database and one broker of its own."""

    folder: Path
    broker_port: int

    def __init__(self) -> None:
        super().__init__()
        self.db = self.folder / f"run-{time.monotonic_ns()}" / "kafka_demo.db"
        self.db.parent.mkdir()
        self.db_url = f"sqlite:///{self.db}"
        self.broker = _start_broker(self.broker_port)
        self.instance: LocalProcess | None = None
        self.instances = 0
        self.names = 0
        self.keyed: set[str] = set()
        self.keyless: set[str] = set()
        self.posted: set[str] = set()
        self.gone_with_a_broker: set[str] = set()
        self.locks = 0
        self.refused_replay_without_a_database = False
        self.steps = 0
        self.rows_before: dict[int, tuple[object, ...]] = {}
        self.pid_before: int | None = None

    # --- actions -------------------------------------------------------------------------

    @initialize()
    def start_and_produce(self) -> None:
        """Every sequence begins with an instance running and records to read."""
        self.start()
        self.produce(keyed=True, count=1)
        self.produce(keyed=False, count=1)

    @precondition(lambda self: self.instance is None)
    @rule()
    def start(self) -> None:
        self.instance = LocalProcess(
            self.db_url, self.db.parent / f"local-{self.instances}.log", self.broker.bootstrap
        )
        self.instances += 1
        self.instance.start(timeout=60)

    @precondition(lambda self: self.instance is not None)
    @rule()
    def stop(self) -> None:
        assert self.instance is not None
        assert self.instance.stop(timeout=30) == 0
        self.instance = None

    @precondition(lambda self: self.instance is not None)
    @rule()
    def sigkill(self) -> None:
        assert self.instance is not None
        self.instance.kill()
        self.instance = None

    @precondition(lambda self: self.instance is not None)
    @rule()
    def start_a_second_instance(self) -> None:
        assert self.instance is not None and self.instance.process is not None
        started = time.monotonic()
        second = kafka_demo(
            "local", "--port", str(free_port()), "--bootstrap", self.broker.bootstrap,
            "--db", self.db_url, timeout=30,
        )  # fmt: skip
        assert time.monotonic() - started < 10
        assert second.returncode == 1
        assert second.stderr.splitlines() == [
            f"kafka-demo local: the database {self.db} is in use by kafka-demo local"
            f" (pid {self.instance.process.pid}, http://127.0.0.1:{self.instance.port});"
            " one database serves one running production: stop that one first, or run"
            " this one on another database with --db PATH"
        ]

    @rule(keyed=st.booleans(), count=st.integers(1, 3))
    def produce(self, keyed: bool, count: int) -> None:
        names = [self._new_name("k" if keyed else "n") for _ in range(count)]
        _produce(self.broker.bootstrap, names, keyed)
        (self.keyed if keyed else self.keyless).update(names)

    @precondition(lambda self: self.instance is not None)
    @rule()
    def post(self) -> None:
        assert self.instance is not None
        name = self._new_name("h")
        status, body = http("POST", f"{self.instance.url}/kafka", {"name": name, "price": 1.5})
        assert status == 200, body
        self.posted.add(name)

    @precondition(lambda self: self.instance is not None and self.locks < LOCKS_PER_SEQUENCE)
    @rule()
    def hold_a_storage_lock(self) -> None:
        """Another program holds the file while records arrive: they fail, or wait and pass."""
        self.locks += 1
        names = [self._new_name("k") for _ in range(2)]
        locker = threading.Thread(target=hold_exclusive_lock, args=(self.db, LOCK_S))
        locker.start()
        time.sleep(0.5)
        _produce(self.broker.bootstrap, names, keyed=True)
        self.keyed.update(names)
        locker.join()

    @rule()
    def replay(self) -> None:
        if not self.db.exists() and self.refused_replay_without_a_database:
            return  # checked once per sequence: the command costs a process start
        self._settle()
        result = kafka_demo("replay", "--db", self.db_url, "--bootstrap", self.broker.bootstrap)
        if not self.db.exists():  # no instance ran yet: nothing to replay, said in one line
            assert result.stderr.startswith("kafka-demo replay: no database at ")
            self.refused_replay_without_a_database = True
            return
        assert result.returncode == 0, result.stdout + result.stderr
        if self.instance is not None:
            assert self.instance.process is not None
            assert result.stdout.startswith(
                f"through the running kafka-demo local (pid {self.instance.process.pid},"
            )

    @precondition(lambda self: self.instance is None)
    @rule()
    def restart_the_broker(self) -> None:
        """A new, empty broker: what no instance read yet is gone with the old one."""
        self.broker.stop()
        self.gone_with_a_broker |= (self.keyed | self.keyless) - set(self._stored())
        self.broker = _start_broker(self.broker_port)

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def the_promise_holds(self) -> None:
        self.steps += 1
        if self.instance is None:
            return
        self._settle()
        stored = self._stored()
        failed = self._failed_names()
        produced = (self.keyed | self.keyless) - self.gone_with_a_broker
        lost = sorted(name for name in produced | self.posted if not stored[name])
        unaccounted = [name for name in lost if name not in failed]
        assert not unaccounted, f"records neither stored nor offered by replay: {unaccounted}"
        twice = sorted(name for name in self.keyed if stored[name] > 1)
        assert not twice, f"keyed records stored twice: {twice}"
        assert not [name for name in self.posted if stored[name] > 1], "a POST stored twice"
        assert self._merged_sessions() == [], "sessions holding two inputs"
        assert all(name in stored or name in failed for name in self._errored_names())
        self._check_rows_untouched()

    # --- helpers -------------------------------------------------------------------------

    def teardown(self) -> None:
        process = self.instance.process if self.instance is not None else None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        self.broker.stop()
        figures(
            "OPERATOR",
            steps=self.steps,
            instances=self.instances,
            keyed=len(self.keyed),
            keyless=len(self.keyless),
            posted=len(self.posted),
            gone_with_a_broker=len(self.gone_with_a_broker),
        )

    def _new_name(self, kind: str) -> str:
        self.names += 1
        return f"op-{kind}-{self.names:04d}"

    def _settle(self) -> None:
        """Wait until every record produced is stored or ended in an Error (while one runs)."""
        if self.instance is None:
            return
        deadline = time.monotonic() + SETTLE_S
        expected = (self.keyed | self.keyless) - self.gone_with_a_broker
        while time.monotonic() < deadline:
            stored, failed = self._stored(), self._failed_names()
            if all(stored[name] or name in failed for name in expected):
                time.sleep(0.5)  # a copy stored twice would show by now
                return
            time.sleep(0.3)

    def _stored(self) -> Counter[str]:
        return Counter(stored_names(self.db)) if self.db.exists() else Counter()

    def _failed_names(self) -> set[str]:
        """The names of the inputs `replay` offers."""
        if not self.db.exists():
            return set()
        engine = create_engine(trace_url(self.db_url))
        try:
            return {_input_name(hop.body) for hop in failed_inputs(engine)}
        finally:
            engine.dispose()

    def _sessions(self) -> list[TracedSession]:
        engine = create_engine(trace_url(self.db_url))
        try:
            return list(last_sessions(engine, 1_000_000))
        finally:
            engine.dispose()

    def _merged_sessions(self) -> list[int]:
        """Sessions with more than one input: more than one request from a service to the BP."""
        merged = []
        for session in self._sessions():
            inputs = [
                hop for hop in session.hops if hop.kind == "Request" and hop.target == KAFKA_DEMO_BP
            ]
            if len(inputs) > 1:
                merged.append(session.id)
        return merged

    def _errored_names(self) -> set[str]:
        """Inputs from Kafka whose session has an Error (their first request failed)."""
        names = set()
        for session in self._sessions():
            hops = session.hops
            first = hops[0] if hops else None
            if first is not None and first.status == "Error" and first.source != KAFKA_REST_BS:
                names.add(_input_name(first.body))
        return names

    def _check_rows_untouched(self) -> None:
        """The rows a running instance had before this step are as they were."""
        assert self.instance is not None and self.instance.process is not None
        rows = _rows(self.db)
        if self.pid_before == self.instance.process.pid:
            changed = {
                row_id: (before, rows.get(row_id))
                for row_id, before in self.rows_before.items()
                if rows.get(row_id) != before
            }
            assert changed == {}, f"a running instance's rows changed: {changed}"
        self.rows_before = rows
        self.pid_before = self.instance.process.pid


def _start_broker(port: int) -> EmbeddedBroker:
    broker = EmbeddedBroker(port=port).start()
    create_topics(broker.bootstrap, {TOPIC: 2, DLQ_TOPIC: 1})
    return broker


def _produce(bootstrap: str, names: list[str], keyed: bool) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for name in names:
            key = name.encode() if keyed else None
            producer.send(TOPIC, product_value(name, PRICE), key=key).get(timeout=30)
    finally:
        producer.close(timeout=5)


def _rows(db: Path) -> dict[int, tuple[object, ...]]:
    if not db.exists():
        return {}
    connection = sqlite3.connect(db, timeout=30)
    try:
        found = connection.execute("SELECT id, name, price, source FROM product").fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        connection.close()
    return {row[0]: tuple(row[1:]) for row in found}


def _input_name(body: str) -> str:
    """The product name of a traced Kafka input (KafkaRawMessage or EnsLib.Kafka.Message)."""
    try:
        return str(json.loads(json.loads(body)["value"])["name"])
    except (ValueError, KeyError, TypeError):
        return ""


def _prepare(tmp_path: Path) -> None:
    Operator.folder = tmp_path
    Operator.broker_port = free_port()


def test_every_operator_action_in_one_sequence(tmp_path: Path) -> None:
    """Each action at least once, in an order that meets the hard cases: a crash with records
    waiting, a replay through a running instance, a broker restarted under a database."""
    _prepare(tmp_path)
    machine = Operator()
    try:
        steps = [
            machine.start_and_produce,
            machine.post,
            machine.start_a_second_instance,
            machine.hold_a_storage_lock,
            machine.replay,
            machine.sigkill,
            lambda: machine.produce(keyed=True, count=2),
            lambda: machine.produce(keyed=False, count=1),
            machine.start,
            machine.replay,
            machine.stop,
            machine.restart_the_broker,
            machine.start,
            lambda: machine.produce(keyed=True, count=2),
            lambda: machine.produce(keyed=False, count=2),
            machine.post,
            machine.stop,
            machine.start,
        ]
        for step in steps:
            step()
            machine.the_promise_holds()
    finally:
        machine.teardown()


def test_an_operator_never_breaks_the_promise(tmp_path: Path) -> None:
    _prepare(tmp_path)
    run_state_machine_as_test(
        Operator,
        settings=settings(
            max_examples=SEQUENCES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            derandomize=not FULL,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
