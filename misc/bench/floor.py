"""IoP's own floor: a no-op BS -> BP -> BO chain through the local router, in a process of its own.

Run by run.py with PYTHONPATH set to the working tree's src/python. The chain sends
the messages the Kafka path sends (KafkaRawMessage async to the BP, ProductSQLMessage
sync to the BO, ProductStored back), through the same router (LocalProduction, with
its in-memory trace) and IoP's own dispatch and serialization with the local IRIS
stand-in at the seam; the components do nothing else. Prints records/s per
repetition as JSON on stdout.
"""

import argparse
import json
import sys
import time
from decimal import Decimal

from iop import BusinessOperation, BusinessProcess, BusinessService, Production, target

from kafka_demo.local_mode.iris import iris_standin
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.msg import KafkaRawMessage, ProductSQLMessage, ProductStored

VALUE = json.dumps({"name": "floor", "price": 1.5}).encode()


class NoopBS(BusinessService):
    Output = target("Floor.BP")

    def on_process_input(self, request: object) -> None:
        self.send_request_async(self.Output, KafkaRawMessage.from_record(VALUE, "floor", 0, 1))


class NoopBP(BusinessProcess):
    Storage = target("Floor.BO")

    def on_kafka_raw_message(self, request: KafkaRawMessage) -> None:
        self.send_request_sync(self.Storage, ProductSQLMessage(name="floor", price=Decimal("1.5")))


class NoopBO(BusinessOperation):
    def on_product_sql_message(self, request: ProductSQLMessage) -> ProductStored:
        return ProductStored(route="sql", id=1)


def floor_production() -> LocalProduction:
    production = Production("Floor.Production")
    bs = production.service("Floor.BS", NoopBS)
    bp = production.process("Floor.BP", NoopBP)
    bo = production.operation("Floor.BO", NoopBO)
    bs.connect(NoopBS.Output, bp)
    bp.connect(NoopBP.Storage, bo)
    local = LocalProduction(production)
    local.start()
    return local


def records_per_s(production: LocalProduction, records: int) -> float:
    started = time.perf_counter()
    for _ in range(records):
        production.process_input("Floor.BS")
    return records / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    iris_standin.install(iris_standin.IrisStandIn())
    production = floor_production()
    records_per_s(production, 200)  # warm up
    rates = [records_per_s(production, args.records) for _ in range(args.reps)]
    errors = [hop.error for hop in production.trace.hops if hop.status == "Error"]
    production.stop()
    if errors:
        raise RuntimeError(f"the no-op chain failed: {errors[0]}")
    json.dump({"records_per_s": rates}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
