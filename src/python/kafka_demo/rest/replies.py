"""The BP's answer to the REST doors, and the project's message class names.

KafkaRestBS answers with a ProductStored or ProductRejected message; every door turns it into
a Stored or Rejected. Inside IRIS, app.py gets that Python object, which
rest/iris/director_gateway.py tells by its type. Over the native API, the standalone server
gets the IOP.Message it was serialized into, a class name and JSON, which parse_reply reads by
the names below. Pure, so the standalone server can use it without IoP; the local mode's trace
names the messages it shows by the same names.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MESSAGES_MODULE = "kafka_demo.msg"
"""Where the project's messages live: a message's class name is this module, a dot, its class.
Spelled here, not read from msg.py, which imports IoP (the one home of these names; a test
checks each against its class)."""
STORED_CLASSNAME = f"{MESSAGES_MODULE}.ProductStored"
REJECTED_CLASSNAME = f"{MESSAGES_MODULE}.ProductRejected"
DEAD_LETTER_CLASSNAME = f"{MESSAGES_MODULE}.KafkaDeadLetterMessage"


@dataclass(frozen=True)
class Stored:
    route: str
    id: int


@dataclass(frozen=True)
class Rejected:
    reason: str
    field: str | None


def parse_reply(classname: str, fields: Mapping[str, Any]) -> Stored | Rejected:
    """A reply's class name and fields to Stored or Rejected; anything else is a server fault."""
    if classname == STORED_CLASSNAME:
        return Stored(route=str(fields["route"]), id=int(fields["id"]))
    if classname == REJECTED_CLASSNAME:
        return Rejected(reason=str(fields["reason"]), field=fields.get("field") or None)
    raise ValueError(f"unexpected reply from KafkaRestBS: {classname}")
