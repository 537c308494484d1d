"""Resend: a Kafka input whose session ended in an error goes to its target again, once.

The production's half of the Message Viewer's Resend: the input rebuilt from the trace, sent
again through the router, and marked Resent. The running production does it for the
/messages page and for `kafka-demo replay` through a running instance (viewer.resend, the
HTTP half); `replay_here` does it for `kafka-demo replay` when no production runs, starting
the BP and the operations only.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from kafka_demo.defaults import IRIS_KAFKA_SERVICE, KAFKA_DEMO_BS, KAFKA_REST_BS
from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.instances import adopt_orphans
from kafka_demo.local_mode.iris.iris_kafka_service import IRIS_CLASS, KafkaMessage
from kafka_demo.local_mode.iris.iris_standin import IOPMessage
from kafka_demo.local_mode.iris.router import DeliveryError, LocalProduction, ResendFailed
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from kafka_demo.local_mode.iris.schema import open_trace_database
from kafka_demo.local_mode.trace.queries import failed_inputs
from kafka_demo.local_mode.trace.store import mark_resent
from kafka_demo.local_mode.trace.vocabulary import Hop

SERVICES = (KAFKA_DEMO_BS, KAFKA_REST_BS, IRIS_KAFKA_SERVICE)
"""The items a replay without a running production leaves out: it reads the trace, not their
inputs."""


@dataclass
class Resent:
    """One input sent again, in the session `resent_as`: `error` is None when it went through."""

    hop: Hop
    resent_as: int | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "message": self.hop.id,
            "session": self.hop.session_id,
            "target": self.hop.target,
            "resent_as": self.resent_as,
            "error": self.error,
        }


def resend(production: LocalProduction, engine: Engine, hop: Hop) -> Resent:
    """Send the input `hop` carried to its target again, and mark it Resent, linked to the new
    session, whether or not that went through: a resend that failed leaves its own session as
    the one Error of this input, which the next replay sends again (once, not twice)."""
    try:
        session_id = production.resend(hop.source, hop.target, _rebuilt_input(hop))
    except ResendFailed as error:
        mark_resent(engine, hop.id, error.session_id)
        return Resent(hop, resent_as=error.session_id, error=str(error))
    except DeliveryError as error:
        return Resent(hop, error=str(error))
    mark_resent(engine, hop.id, session_id)
    return Resent(hop, resent_as=session_id)


def _rebuilt_input(hop: Hop) -> object:
    """The message `hop` carried, as its sender handed it over: IRIS's EnsLib.Kafka.Message,
    or one of IoP's serialized messages."""
    if hop.message_class == IRIS_CLASS:
        return KafkaMessage.from_json_text(hop.body)
    return IOPMessage.holding(hop.message_class, hop.body)


def replay_failed(production: LocalProduction, engine: Engine, owner: int | None) -> list[Resent]:
    """Resend every failed input in the trace on `engine`, through the running `production`;
    with an `owner` (kafka_demo.local_mode.instances), its own and those it adopts first from
    instances no longer running."""
    if owner is not None:
        adopt_orphans(engine, owner)
    return [resend(production, engine, hop) for hop in failed_inputs(engine, owner)]


def replay_here(config: LocalConfig) -> list[Resent]:
    """Resend the failed inputs of `config`'s database with no production running there: the
    BP and the operations are started for it, and only when an input failed."""
    engine = open_trace_database(config.db_url)
    try:
        inputs = failed_inputs(engine, config.instance)
    finally:
        engine.dispose()
    if not inputs:
        return []
    runtime = LocalRuntime(
        config,
        poll=False,
        skip={name: "a replay reads the trace, not its inputs" for name in SERVICES},
    )
    production = runtime.start()
    try:
        return [resend(production, runtime.trace_engine, hop) for hop in inputs]
    finally:
        runtime.stop()
