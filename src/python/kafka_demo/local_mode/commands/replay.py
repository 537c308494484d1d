"""`kafka-demo replay`: the local twin of the Message Viewer's Resend.

Each Kafka input whose processing ended in an error goes to its target again.
Only what a replay needs runs: the BP and the operations, not the services
(the consumer and the REST door), and nothing at all when nothing failed.
"""

import argparse

from kafka_demo.defaults import IRIS_KAFKA_SERVICE, KAFKA_DEMO_BS, KAFKA_REST_BS
from kafka_demo.local_mode.commands.common import existing_database, one_line

WIDTH = 80
SERVICES = (KAFKA_DEMO_BS, KAFKA_REST_BS, IRIS_KAFKA_SERVICE)


def run_replay(args: argparse.Namespace) -> int:
    from kafka_demo.local_mode.config import LocalConfig
    from kafka_demo.local_mode.database import open_trace_database
    from kafka_demo.local_mode.iris_kafka_service import IRIS_CLASS, KafkaMessage
    from kafka_demo.local_mode.iris_standin import IOPMessage
    from kafka_demo.local_mode.router import DeliveryError
    from kafka_demo.local_mode.runtime import LocalRuntime
    from kafka_demo.local_mode.sql_trace import failed_inputs, mark_resent

    db_url = existing_database(args.db)
    engine = open_trace_database(db_url)
    try:
        inputs = failed_inputs(engine)
    finally:
        engine.dispose()
    if not inputs:
        print("nothing to replay: no Kafka input ended in an error")
        return 0
    runtime = LocalRuntime(
        LocalConfig(db_url=db_url, bootstrap=args.bootstrap),
        poll=False,
        skip={name: "a replay reads the trace, not its inputs" for name in SERVICES},
    )
    production = runtime.start()
    failures = 0
    try:
        for hop in inputs:
            what = f"message {hop.id} (session {hop.session_id})"
            if hop.message_class == IRIS_CLASS:
                message: object = KafkaMessage.from_json_text(hop.body)
            else:
                message = IOPMessage.holding(hop.message_class, hop.body)
            try:
                session_id = production.resend(hop.source, hop.target, message)
            except DeliveryError as error:
                failures += 1
                print(one_line(f"{what} failed again: {error}", WIDTH))
                continue
            mark_resent(runtime.trace_engine, hop.id, session_id)
            print(f"{what} resent to {hop.target} as session {session_id}")
    finally:
        runtime.stop()
    print(f"replayed {len(inputs) - failures} of {len(inputs)} failed input(s)")
    return 1 if failures else 0
