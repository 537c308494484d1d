"""The Community Edition connection budget, computed from the stack's own defaults.

The limit (8 connections, InterSystems' Community Edition limits page, KEY=ACLOUD_limits)
and the table live in docs/docker.md, "Community Edition limits"; this test recomputes
each row from docker-compose.yml, the gunicorn config and the health check, and checks
the page states the same numbers.
"""

import re

import pytest
from gunicorn.app.wsgiapp import WSGIApplication

from tests.static.repo import ROOT, service, text

COMMUNITY_EDITION_CONNECTIONS = 8
DOCKER_PAGE = "docs/docker.md"


def _compose_default(value: str) -> int:
    match = re.fullmatch(r"\$\{\w+:-(\d+)\}", str(value))
    assert match, value
    return int(match.group(1))


def _gunicorn_threads(monkeypatch: pytest.MonkeyPatch, workers: int) -> int:
    for name in ("GUNICORN_THREADS", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GUNICORN_WORKERS", str(workers))
    config = str(ROOT / "misc/deploy/gunicorn/gunicorn.conf.py")
    monkeypatch.setattr("sys.argv", ["gunicorn", "-c", config, "app:app"])
    cfg = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg
    assert cfg.workers == workers
    return cfg.threads


def _peak(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    iris_workers = _compose_default(service("iris")["environment"]["GUNICORN_WORKERS"])
    standalone_workers = _compose_default(service("standalone")["environment"]["GUNICORN_WORKERS"])
    # Threads share their worker's IRIS process (embedded) or connection (native API,
    # one per worker behind a lock), so only workers count.
    assert _gunicorn_threads(monkeypatch, iris_workers) >= 1
    # Docker runs one health check at a time; the check is one `iop --status` process.
    assert service("iris")["healthcheck"]["test"][-1].endswith("production-running.sh")
    assert "python3 -m iop" in text("misc/deploy/iris/production-running.sh")
    return {
        "gunicorn in the IRIS container": iris_workers,
        "standalone server": standalone_workers,
        "`/flask` under IRIS WSGI": 1,
        "the `iris` health check": 1,
        "one command at a time": 1,
    }


def _readme_rows() -> dict[str, int]:
    page = text(DOCKER_PAGE)
    section = page[page.index("\n## Community Edition limits\n") :]
    section = section[: section.index("\n## ", 1)]
    rows = re.findall(r"^\| (.+?) \| \**(\d+)\** \|$", section, flags=re.MULTILINE)
    return {label: int(number) for label, number in rows}


def test_default_peak_connections_stay_within_the_community_edition_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert sum(_peak(monkeypatch).values()) <= COMMUNITY_EDITION_CONNECTIONS


def test_the_readme_table_states_the_computed_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    peak = _peak(monkeypatch)
    rows = _readme_rows()
    for who, count in peak.items():
        (label,) = [label for label in rows if label.startswith(who)]
        assert rows[label] == count, label
    assert rows["**total**"] == sum(peak.values())
    assert f"allows {COMMUNITY_EDITION_CONNECTIONS} connections at once" in text(DOCKER_PAGE)
    assert '"Connections: 8"' in text(DOCKER_PAGE)


def test_the_env_example_keeps_the_worker_count_the_budget_is_computed_for() -> None:
    """.env.example is what an operator copies to .env: its value replaces compose's default."""
    example = re.findall(r"^GUNICORN_WORKERS=(\d+)$", text("misc/deploy/.env.example"), re.M)
    for name in ("iris", "standalone"):
        default = _compose_default(service(name)["environment"]["GUNICORN_WORKERS"])
        assert [int(workers) for workers in example] == [default], name
