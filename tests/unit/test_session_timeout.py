"""The consumers' session timeout stays where Apache Kafka accepts it."""

import pytest

from kafka_demo.kafka_io.clients import MIN_SESSION_TIMEOUT_MS, session_timeout_ms


@pytest.mark.parametrize(
    ("max_poll_interval_ms", "expected"),
    [(1500, 6000), (3000, 6000), (8000, 8000), (300_000, 10_000)],
)
def test_the_session_timeout_follows_the_poll_interval_within_6_to_10_s(
    max_poll_interval_ms: int, expected: int
) -> None:
    assert session_timeout_ms(max_poll_interval_ms) == expected
    assert MIN_SESSION_TIMEOUT_MS == 6000  # Apache Kafka's group.min.session.timeout.ms
