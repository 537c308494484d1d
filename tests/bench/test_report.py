"""The report's arithmetic: each figure's ratio to its floor, its gap in microseconds a
record, and the goals' verdicts, on figures whose answers are known."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "misc" / "bench"
sys.path.append(str(BENCH))  # after every other place, so no bench module shadows one

from harness import Figure  # noqa: E402 (misc/bench is not a package)
from report import render  # noqa: E402


def one(value: float) -> Figure:
    return Figure([value])


FLOORS = {
    "write sql": one(50),
    "write sqlalchemy": one(200),
    "write iris": one(100),
    "write floor": one(120),
    "iop floor, Kafka doors": one(130),
}
"""With a consume of 50 us, a bound of 300 us a record: 3,333.3 rec/s."""
POOL_1 = {
    "drain": Figure([1400, 1500, 1600]),
    "handwritten": one(2500),
    "bare 1 p50_ms": one(1.0),
    "door 1 p50_ms": one(1.3),
    "bare 1 p99_ms": one(2.0),
    "door 1 p99_ms": one(3.0),
    "bare 4 requests_per_s": one(1000),
    "door 4 requests_per_s": one(900),
}
ONE_PROCESS = {
    "records_per_s": one(2000),
    "dispatch alone us": one(25),
    "sql us": one(120),
    "sqlalchemy us": one(300),
    "iris us": one(150),
}


def report_of(tmp_path: Path) -> list[str]:
    tansu = {"consume us": one(50), "1": POOL_1, "alone": one(2000)}
    figures = {"floors": FLOORS, "tansu": tansu, "one process": ONE_PROCESS}
    return render(figures, "context", tmp_path).splitlines()


def test_a_rate_is_set_beside_its_floor_with_its_gap_in_microseconds_a_record(
    tmp_path: Path,
) -> None:
    lines = report_of(tmp_path)
    assert (
        "| fair bound 1/(consume + IoP floor + write floor) (tansu)"
        " | 3,333.3 rec/s (3,333.3-3,333.3) |  |  |  |  |" in lines
    )
    # 1/1,500 - 1/3,333.3 s: 666.7 - 300 us.
    assert (
        "| Kafka path: drain (tansu, PoolSize 1) | 1,500.0 rec/s (1,400.0-1,600.0)"
        " | 3,333.3 rec/s | 0.45x | +367 | >= 0.8: missed |" in lines
    )
    assert (
        "| drain vs hand-written (tansu, PoolSize 1) | 1,500.0 rec/s (1,400.0-1,600.0)"
        " | 2,500.0 rec/s | 0.60x | +267 | >= 0.5: met |" in lines
    )
    assert (
        "| drain, both doors vs KafkaDemoBS alone (tansu) | 1,500.0 rec/s (1,400.0-1,600.0)"
        " | 2,000.0 rec/s | 0.75x | +167 |  |" in lines
    )
    assert (
        "| drain in one process vs the server's (PoolSize 1) | 2,000.0 rec/s (2,000.0-2,000.0)"
        " | 1,500.0 rec/s | 1.33x | -167 |  |" in lines
    )


def test_a_latency_keeps_its_hundredths_and_its_gap_is_the_difference_in_microseconds(
    tmp_path: Path,
) -> None:
    lines = report_of(tmp_path)
    assert (
        "| REST door p50, 1 client | 1.30 ms (1.30-1.30) | 1.00 ms | 1.30x | +300 | <= 1.3: met |"
        in lines
    ), "a ratio at its goal's bound meets it"
    assert (
        "| REST door p99, 1 client | 3.00 ms (3.00-3.00) | 2.00 ms | 1.50x | +1,000 |  |" in lines
    )


def test_four_clients_are_set_beside_the_bare_handler_and_one_clients_inverse_p50(
    tmp_path: Path,
) -> None:
    lines = report_of(tmp_path)
    assert (
        "| REST door, 4 clients | 900.0 req/s (900.0-900.0) | 1,000.0 req/s | 0.90x | +111"
        " | >= 0.8: met |" in lines
    )
    # One client's 1/p50 is 1/1.3 ms, 769.2 req/s: 900 is above it, 189 us a request less.
    assert (
        "| REST door, 4 clients vs its 1 client's 1/p50 | 900.0 req/s (900.0-900.0)"
        " | 769.2 req/s | 1.17x | -189 | >= 1.0: met |" in lines
    )


def test_the_goals_are_counted_and_each_missed_one_is_named(tmp_path: Path) -> None:
    lines = report_of(tmp_path)
    assert "Goals met: 4 of 5" in lines
    assert "- MISSED: Kafka path: drain (tansu, PoolSize 1): 0.45x, goal >= 0.8" in lines
    assert [line for line in lines if line.startswith("- MISSED")] == [
        "- MISSED: Kafka path: drain (tansu, PoolSize 1): 0.45x, goal >= 0.8"
    ]


def test_each_route_is_set_beside_its_own_write_floor(tmp_path: Path) -> None:
    lines = report_of(tmp_path)
    assert (
        "| route sqlalchemy via LocalStorageBO vs its write | 300.0 us (300.0-300.0)"
        " | 200.0 us | 1.50x | +100 |  |" in lines
    )
