"""`kafka-demo produce`: products through the real KafkaDemoBO, or raw bytes as they are.

Values are checked with the business rules before anything is sent, so a bad
one gets one line saying why, in the same words as the REST door's 400.
"""

import argparse
import re
from decimal import Decimal, InvalidOperation

from kafka_demo import rules
from kafka_demo.defaults import KAFKA_DEMO_BO
from kafka_demo.local_mode.cli.common import CommandError, require_broker
from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.product import Product

_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|\\)")


def run_produce(args: argparse.Namespace) -> int:
    if args.raw is not None:
        if args.name is not None or args.price is not None:
            args.parser.error("--raw sends bytes as they are: give it without --name and --price")
        if args.no_key and args.key is not None:
            args.parser.error("--key and --no-key: give one of them")
        payload = raw_payload(args.raw)
        require_broker(args.bootstrap)
        _send_raw(args.bootstrap, payload, args.count, keyed=not args.no_key, key=args.key)
        return 0
    if args.no_key or args.key is not None:
        args.parser.error(
            "--key and --no-key go with --raw: KafkaDemoBO gives every record a key of its own"
        )
    if args.name is None or args.price is None:
        args.parser.error("--name and --price are required (or --raw to send bytes as they are)")
    product = checked_product(args.name, args.price)
    require_broker(args.bootstrap)
    _send_products(args.bootstrap, product, args.count)
    return 0


def checked_product(name: str, price_text: str) -> Product:
    """The product the arguments describe, or a CommandError (exit 2) saying what is wrong."""
    try:
        price = Decimal(price_text)
    except InvalidOperation:
        raise CommandError(f"price must be a number, not {price_text!r}", exit_code=2) from None
    try:
        return rules.validate_product({"name": name, "price": price})
    except rules.InvalidProduct as invalid:
        raise CommandError(invalid.reason, exit_code=2) from None


def raw_payload(text: str) -> bytes:
    """--raw's text as UTF-8 bytes; `\\xNN` stands for the byte NN, `\\\\` for a backslash."""

    def byte(match: re.Match[bytes]) -> bytes:
        escape = match.group(1)
        return b"\\" if escape == b"\\" else bytes([int(escape[1:], 16)])

    try:
        encoded = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise CommandError("--raw must be text (with \\xNN for any byte)", exit_code=2) from None
    return _ESCAPE.sub(byte, encoded)


def _send_products(bootstrap: str, product: Product, count: int) -> None:
    # Deferred: IoP and the production, which only this way of producing runs.
    from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer

    from kafka_demo.local_mode.iris import iris_standin
    from kafka_demo.local_mode.iris.router import DeliveryError, LocalProduction
    from kafka_demo.local_mode.iris.runtime import load_production
    from kafka_demo.msg import KafkaTestMessage

    iris_standin.install(iris_standin.IrisStandIn())
    definition = load_production()
    production = LocalProduction(
        definition,
        settings={KAFKA_DEMO_BO: {"kafka_broker": bootstrap}},
        skip={
            ref.name: "not needed to produce"
            for ref in definition.items
            if ref.name != KAFKA_DEMO_BO
        },
    )
    production.start()
    try:
        for _ in range(count):
            request = dispatch_serializer(KafkaTestMessage(name=product.name, price=product.price))
            try:
                reply = production.deliver("kafka-demo produce", KAFKA_DEMO_BO, request, sync=True)
            except DeliveryError as error:
                raise CommandError(str(error)) from None
            sent = dispatch_deserializer(reply)
            print(f"sent to {sent.topic}[{sent.partition}]@{sent.offset}")
    finally:
        production.stop()


def _send_raw(
    bootstrap: str, payload: bytes, count: int, *, keyed: bool, key: str | None = None
) -> None:
    """A plain producer, not KafkaDemoBO: the BO publishes valid products only. Each record
    gets `key`, or else a unique key as the BO's do, unless `keyed` is False."""
    # Deferred: kafka-python, which a refused command never imports.
    from kafka.errors import KafkaError

    from kafka_demo.bo import new_record_key
    from kafka_demo.kafka_io.clients import open_producer

    topic = LocalConfig().topic
    producer = open_producer(kafka_broker=bootstrap)
    try:
        for _ in range(count):
            record_key = (key or new_record_key()).encode("utf-8") if keyed else None
            try:
                sent = producer.send(topic, value=payload, key=record_key).get(timeout=10)
            except KafkaError as error:
                raise CommandError(f"could not send to {topic}: {error}") from None
            print(f"sent {len(payload)} byte(s) to {sent.topic}[{sent.partition}]@{sent.offset}")
    finally:
        producer.close(timeout=5)
