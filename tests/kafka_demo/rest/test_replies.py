"""The message class names replies.py spells (it cannot import msg.py, which needs IoP) are
those of the classes themselves, as IoP names a message: its module, a dot, its class."""

import pytest

from kafka_demo import msg
from kafka_demo.rest.replies import (
    DEAD_LETTER_CLASSNAME,
    MESSAGES_MODULE,
    REJECTED_CLASSNAME,
    STORED_CLASSNAME,
    Rejected,
    Stored,
    parse_reply,
)


@pytest.mark.parametrize(
    ("spelled", "message_class"),
    [
        (STORED_CLASSNAME, msg.ProductStored),
        (REJECTED_CLASSNAME, msg.ProductRejected),
        (DEAD_LETTER_CLASSNAME, msg.KafkaDeadLetterMessage),
    ],
)
def test_each_class_name_is_its_class_s(spelled: str, message_class: type) -> None:
    assert spelled == f"{message_class.__module__}.{message_class.__qualname__}"
    assert message_class.__module__ == MESSAGES_MODULE == msg.__name__


def test_a_reply_is_read_by_its_class_name() -> None:
    assert parse_reply(STORED_CLASSNAME, {"route": "sql", "id": "7"}) == Stored("sql", 7)
    assert parse_reply(REJECTED_CLASSNAME, {"reason": "bad", "field": ""}) == Rejected("bad", None)
    with pytest.raises(ValueError, match="unexpected reply from KafkaRestBS: kafka_demo.msg.X"):
        parse_reply(f"{MESSAGES_MODULE}.X", {})
