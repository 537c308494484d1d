"""Microseconds per message to build one, and to send it through IoP's serialization and back.

    python misc/bench/messages.py -o now.json [--fast]
    PYTHONPATH=OTHER/src/python python misc/bench/messages.py -o before.json
    python -m pyperf compare_to before.json now.json --table

pyperf runs each operation in processes of its own, calibrates the loops, drops the
warm-ups and reports mean and standard deviation; compare_to says whether two trees
differ beyond that noise. Serialization runs IoP's own `dispatch_serializer` and
`dispatch_deserializer` with the local IRIS stand-in at the seam, as the local mode does.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pyperf
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer

from kafka_demo.local_mode.iris import iris_standin
from kafka_demo.msg import KafkaRawMessage, ProductSQLMessage

RAW = b'{"name": "apple", "price": 10.5}'
PRICE = Decimal("10.50")


def operations() -> dict[str, Callable[[], Any]]:
    iris_standin.install(iris_standin.IrisStandIn())
    product = ProductSQLMessage(name="apple", price=PRICE)
    raw = KafkaRawMessage(value=RAW)
    product_serial, raw_serial = dispatch_serializer(product), dispatch_serializer(raw)
    return {
        "build product, keywords": lambda: ProductSQLMessage(name="apple", price=PRICE),
        "build product, positional": lambda: ProductSQLMessage("apple", PRICE),
        "build raw, keywords": lambda: KafkaRawMessage(value=RAW),
        "build raw, positional": lambda: KafkaRawMessage(RAW),
        "serialize product": lambda: dispatch_serializer(product),
        "deserialize product": lambda: dispatch_deserializer(product_serial),
        "serialize raw": lambda: dispatch_serializer(raw),
        "deserialize raw": lambda: dispatch_deserializer(raw_serial),
    }


def main() -> None:
    runner = pyperf.Runner()
    for name, operation in operations().items():
        runner.bench_func(name, operation)


if __name__ == "__main__":
    main()
