"""py-spy's flame graphs (it samples the interpreter from outside), and where their samples go."""

import html
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
_FRAME = re.compile(r"<title>(.+?) \([\d,]+ samples?, ([\d.]+)%\)</title>")
PARTS = {
    "the three writes (kafka_demo.storage)": r"insert_with_(sql|sqlalchemy|iris_orm) \(",
    "SQLite's execute and commit, every caller": r"DefaultDialect\.do_(execute|commit) ",
    "IoP's (de)serialization of messages": r"dispatch_(serializer|deserializer) \(iop/",
    "IoP's handling of EnsLib.Kafka.Message (class lookups, failed import)": (
        r"deserialize_persistent_message \(iop/"
    ),
    "the offsets global (GlobalOffsetStore)": r"GlobalOffsetStore\.\w+ \(",
    "the trace (SqlTrace, its writer thread included)": (
        r"SqlTrace\.(new_session|record|finish|end_session|_write_every) \("
    ),
    "kafka-python poll and commit": r"KafkaConsumer\.(poll|commit) \(",
    "Flask, the REST door's app": r"Flask\.wsgi_app \(",
}
"""Parts of the work, each a set of functions that do not call one another."""


@contextmanager
def sampled(pid: int, svg: Path, mode: str) -> Iterator[None]:
    """py-spy samples `pid` and its children until the block ends, into `svg`; `mode` "gil":
    only threads holding the interpreter lock, "idle": waiting ones too."""
    command = [PY_SPY, "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
    command += [f"--{mode}", "--rate", "250", "-o", str(svg)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes the flame graph and exits
        spy.wait(60)


def where_time_goes(svg: Path) -> list[tuple[str, float]]:
    """Each part's percent of the graph's samples, summed over its functions' frames."""
    if not svg.exists():
        return []
    frames = [(html.unescape(t), float(p)) for t, p in _FRAME.findall(svg.read_text())]
    return [
        (part, sum(percent for title, percent in frames if re.match(pattern, title)))
        for part, pattern in PARTS.items()
    ]
