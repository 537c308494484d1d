"""pyperf micro-benchmarks of the messages, built and (de)serialized (docs/performance.md)."""

from decimal import Decimal
from functools import partial

import pyperf  # type: ignore[import-untyped]
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer

from kafka_demo.local_mode.iris import iris_standin
from kafka_demo.msg import KafkaRawMessage, ProductSQLMessage

RAW = b'{"name": "apple", "price": 10.5}'
PRICE = Decimal("10.50")


def main() -> None:
    iris_standin.install(iris_standin.IrisStandIn())
    product, raw = ProductSQLMessage(name="apple", price=PRICE), KafkaRawMessage(value=RAW)
    product_serial, raw_serial = dispatch_serializer(product), dispatch_serializer(raw)
    runner = pyperf.Runner()
    keywords = partial(ProductSQLMessage, name="apple", price=PRICE)
    runner.bench_func("build product, keywords", keywords)
    runner.bench_func("build product, positional", ProductSQLMessage, "apple", PRICE)
    runner.bench_func("build raw, keywords", partial(KafkaRawMessage, value=RAW))
    runner.bench_func("build raw, positional", KafkaRawMessage, RAW)
    runner.bench_func("serialize product", dispatch_serializer, product)
    runner.bench_func("deserialize product", dispatch_deserializer, product_serial)
    runner.bench_func("serialize raw", dispatch_serializer, raw)
    runner.bench_func("deserialize raw", dispatch_deserializer, raw_serial)


if __name__ == "__main__":
    main()
