"""The BP's answer to the REST doors, read the same way whichever door asks.

KafkaRestBS answers with a ProductStored or ProductRejected message. Inside
IRIS, app.py gets that Python object; over the native API, the standalone
server gets the IOP.Message it was serialized into (a classname and JSON).
Both become a Stored or Rejected here. Pure, so the standalone server can use
it without IoP.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STORED_CLASSNAME = "kafka_demo.msg.ProductStored"
REJECTED_CLASSNAME = "kafka_demo.msg.ProductRejected"


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
