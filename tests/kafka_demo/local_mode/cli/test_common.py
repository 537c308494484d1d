"""The checks every command makes of its --db before anything starts: one line each, nothing
made (kafka_demo.local_mode.cli.common)."""

from pathlib import Path

import pytest

from kafka_demo.local_mode.broker.ports import free_port
from tests.support.local_process import one_line_refusal


def test_an_unknown_kind_of_database_is_one_line() -> None:
    line = one_line_refusal("local", "--port", str(free_port()), "--db", "notaurl://x")
    assert line == (
        "kafka-demo local: --db notaurl://x: no kind of database called 'notaurl' is known;"
        " pass a path to an SQLite file, or a SQLAlchemy URL such as sqlite:///kafka_demo.db"
    )


@pytest.mark.parametrize("command", ["local", "products"])
def test_a_file_that_is_no_database_is_one_line(command: str, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("root:x:0:0:root:/root:/bin/bash\n" * 40)
    line = one_line_refusal(command, "--db", str(text))
    assert line == (
        f"kafka-demo {command}: --db {text}: {text} is not an SQLite database"
        " (file is not a database)"
    )
    assert not text.with_name("notes.txt.claim").exists()


def test_a_database_whose_driver_is_missing_is_one_line() -> None:
    line = one_line_refusal("products", "--db", "postgresql+psycopg2://demo:secret@db.invalid/demo")
    assert line.startswith(
        "kafka-demo products: --db postgresql+psycopg2://demo:***@db.invalid/demo: the driver for"
        " postgresql is not installed (No module named "
    )
    assert line.endswith("); install it, or use an SQLite file")


def test_a_database_in_a_missing_folder_is_refused_before_the_broker_starts(
    tmp_path: Path,
) -> None:
    broker_port = free_port()
    line = one_line_refusal(
        "local", "--port", str(free_port()), "--broker-port", str(broker_port),
        "--db", str(tmp_path / "nonexistent" / "dir" / "x.db"),
    )  # fmt: skip
    assert line == (
        f"kafka-demo local: --db {tmp_path / 'nonexistent' / 'dir' / 'x.db'}: there is no folder"
        f" {tmp_path / 'nonexistent' / 'dir'}; create it, or choose another database with --db PATH"
    )
