"""misc/deploy/doctor.sh against stand-ins for `docker` (compose ps/exec) and `curl`.

A healthy stack is the default answer of every stand-in; each test breaks one thing
and checks the doctor's line for it, its exit status, and that the other checks
still pass.
"""

import json
import re
from pathlib import Path

import pytest

from tests.static.repo import ROOT
from tests.static.standins import Run, calls, install, run_script

DOCTOR = ROOT / "misc/deploy/doctor.sh"
STACK_DEFAULTS = {
    "DOCTOR_HOST": "localhost",
    "IRIS_USERNAME": "SuperUser",
    "IRIS_PASSWORD": "SYS",
    "IRIS_PRODUCTION": "Python.Production",
    "KAFKA_TOPIC": "kafka_demo",
    "KAFKA_DLQ_TOPIC": "kafka_demo.dlq",
    "KAFKA_GROUP_ID": "demo-group",
    "KAFKA_TOPIC_PARTITIONS": "2",
    "DOCTOR_MAX_LAG": "100",
    "DOCTOR_SQL_URL": "",
}

HEALTHY_PS = (
    "kafka|running|healthy|0\n"
    "kafka-init|exited||0\n"
    "iris|running|healthy|0\n"
    "standalone|running|healthy|0\n"
)
RUNNING = json.dumps(
    {"Production": "Python.Production", "Status": "running", "NeedsUpdate": False}, indent=4
)
ITEMS_OK = "\n".join(
    f"PASS item {name}: enabled, no error logged in the last 10 min"
    for name in (
        "EnsLib.Kafka.Service",
        "Python.KafkaDemoBO",
        "Python.KafkaDemoBP",
        "Python.KafkaDemoBS",
        "Python.KafkaRestBS",
        "Python.LocalStorageBO",
    )
)
TOPIC = (
    "Topic: kafka_demo\tTopicId: x\tPartitionCount: 2\tReplicationFactor: 1\n"
    "\tTopic: kafka_demo\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\n"
    "\tTopic: kafka_demo\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\n"
)
GROUP = (
    "\nGROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID\n"
    "demo-group kafka_demo 0 12 12 0 kp-1 /172 kafka-python-3.0.12\n"
    "demo-group kafka_demo 1 9 9 0 KafkaConsumer-1 /172 KafkaConsumer\n"
)
MEMBERS = (
    "\nGROUP      CONSUMER-ID     HOST  CLIENT-ID            #PARTITIONS\n"
    "demo-group kp-1            /172  kafka-python-3.0.12  1\n"
    "demo-group KafkaConsumer-1 /172  KafkaConsumer        1\n"
)

FAKE_DOCKER = r"""
echo "docker $*" >> "$FAKE_LOG"
[ "$1" = "compose" ] || exit 2
shift
case "$1" in
    ps) [ -n "${FAKE_NO_DOCKER:-}" ] && { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
        printf '%b' "$FAKE_PS"; exit 0 ;;
    logs) printf '%b' "${FAKE_IRIS_LOGS:-}"; exit 0 ;;
    exec) shift; [ "$1" = "-T" ] && shift
        if [ "$1" = "-e" ]; then echo "env $2" >> "$FAKE_LOG"; shift 2; fi
        service="$1"; shift ;;
    *) exit 2 ;;
esac
args="$*"
case "$service:$args" in
    iris:"iop --status") printf '%s\n' "$FAKE_STATUS"; exit 0 ;;
    iris:*"doctor_iris.py items") printf '%b\n' "$FAKE_ITEMS"; exit "${FAKE_ITEMS_STATUS:-0}" ;;
    iris:*"doctor_iris.py row "*)
        echo "row ${args##* }" >> "$FAKE_LOG"; exit "${FAKE_ROW_STATUS:-0}" ;;
    iris:"bash -c "*) exit "${FAKE_JAVA_STATUS:-0}" ;;
    iris:"iris session IRIS -U %SYS")
        script="$(cat)"; [[ "$script" == *KeyExpirationDate* ]] || exit 9
        printf '%b' "${FAKE_LICENCE-licence-expiry: 2027-04-23 137\n}"; exit 0 ;;
    iris:"cat /irisdev/app/build-warnings.log")
        printf '%b' "${FAKE_WARNINGS:-}"; exit "${FAKE_WARNINGS_STATUS:-0}" ;;
    kafka:*"--describe --topic kafka_demo.dlq") exit "${FAKE_DLQ_STATUS:-0}" ;;
    kafka:*"--describe --topic "*) printf '%b' "$FAKE_TOPIC"; exit 0 ;;
    kafka:*"--members") printf '%b' "$FAKE_MEMBERS"; exit 0 ;;
    kafka:*"kafka-consumer-groups.sh"*) printf '%b' "$FAKE_GROUP"; exit 0 ;;
esac
echo "unexpected: $service $args" >&2
exit 2
"""

# curl -sS -o FILE -w '%{http_code}' --max-time 30 [-u u:p] [-X POST -H .. -d BODY] URL
FAKE_CURL = r"""
echo "curl $*" >> "$FAKE_LOG"
out="" method=GET url=""
while [ $# -gt 0 ]; do
    case "$1" in
        -o) out="$2"; shift 2 ;;
        -w|--max-time|-u|-H|-d) shift 2 ;;
        -X) method="$2"; shift 2 ;;
        -sS) shift ;;
        *) url="$1"; shift ;;
    esac
done
if [ -n "${FAKE_DOWN:-}" ] && [[ "$url" == *"$FAKE_DOWN"* ]]; then
    printf '000'; echo "curl: (7) Failed to connect" >&2; exit 7
fi
if [ "$method" = POST ]; then
    if [ -n "${FAKE_POST_FAILS:-}" ] && [[ "$url" == *"$FAKE_POST_FAILS"* ]]; then
        echo '{"error": "production unavailable"}' > "$out"; printf '503'; exit 0
    fi
    echo '{"status": "stored"}' > "$out"; printf '200'; exit 0
fi
echo '{"status": "ok", "iris": true}' > "$out"; printf '200'
"""


def _doctor(tmp_path: Path, **env: str) -> tuple[Run, list[str]]:
    bin_dir = tmp_path / "bin"
    install(bin_dir, "docker", FAKE_DOCKER)
    install(bin_dir, "curl", FAKE_CURL)
    log = tmp_path / "calls.log"
    values = {
        "FAKE_LOG": str(log),
        "FAKE_PS": HEALTHY_PS,
        "FAKE_STATUS": RUNNING,
        "FAKE_ITEMS": ITEMS_OK,
        "FAKE_TOPIC": TOPIC,
        "FAKE_GROUP": GROUP,
        "FAKE_MEMBERS": MEMBERS,
        # The stack's defaults, whatever the calling shell has set.
        **STACK_DEFAULTS,
        **env,
    }
    return run_script(DOCTOR, bin_dir, values), calls(log)


def _lines(run: Run, verdict: str) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.startswith(f"{verdict} ")]


def _only_failure(run: Run) -> str:
    (line,) = _lines(run, "FAIL")
    assert " -- likely cause: " in line and "; fix: " in line, line
    return line


def _failing_item(name: str, line: str) -> dict[str, str]:
    """The items snippet's answer when the item `name` fails with `line`."""
    passing = f"PASS item {name}: enabled, no error logged in the last 10 min"
    assert passing in ITEMS_OK
    return {"FAKE_ITEMS": ITEMS_OK.replace(passing, line), "FAKE_ITEMS_STATUS": "1"}


def test_a_healthy_stack_passes_every_check_in_order(tmp_path: Path) -> None:
    run, log = _doctor(tmp_path)
    assert run.status == 0, run.output
    checks = [line.split(":")[0] for line in _lines(run, "PASS")]
    assert checks == [
        "PASS containers",
        "PASS production",
        "PASS item EnsLib.Kafka.Service",
        "PASS item Python.KafkaDemoBO",
        "PASS item Python.KafkaDemoBP",
        "PASS item Python.KafkaDemoBS",
        "PASS item Python.KafkaRestBS",
        "PASS item Python.LocalStorageBO",
        "PASS door iris-wsgi (http",
        "PASS door iris-gunicorn (http",
        "PASS door standalone (http",
        "PASS topics",
        "PASS consumer group demo-group",
        "PASS EnsLib.Kafka.Service",
        "PASS licence",
        "PASS build warnings",
    ]
    assert (
        "PASS licence: the instance's key expires 2027-04-23 (137 days left)"
        in run.stdout.splitlines()
    )
    assert run.stdout.splitlines()[-1] == "doctor: all 16 checks passed"
    assert _lines(run, "FAIL") == []


def test_each_door_probe_is_looked_up_by_the_name_it_posted(tmp_path: Path) -> None:
    run, log = _doctor(tmp_path)
    posted = [re.search(r'"name": "([^"]+)"', line) for line in log if " -X POST " in line]
    names = [match.group(1) for match in posted if match]
    assert len(names) == 3 and len(set(names)) == 3
    assert [line.removeprefix("row ") for line in log if line.startswith("row ")] == names
    wsgi = [line for line in log if line.startswith("curl ") and "53795/flask" in line]
    assert wsgi and all("-u SuperUser:SYS" in line for line in wsgi)


def test_docker_unavailable_stops_at_the_first_check(tmp_path: Path) -> None:
    run, _ = _doctor(tmp_path, FAKE_NO_DOCKER="1")
    assert run.status == 1
    line = _only_failure(run)
    assert line.startswith("FAIL containers: docker compose ps failed")
    assert run.stdout.splitlines()[-1] == "doctor: 1 of 1 check(s) failed"


@pytest.mark.parametrize(
    ("ps", "seen"),
    [
        (
            HEALTHY_PS.replace("iris|running|healthy", "iris|running|starting"),
            "iris running starting",
        ),
        (HEALTHY_PS.replace("standalone|running|healthy|0\n", ""), "standalone not created"),
        (
            HEALTHY_PS.replace("kafka-init|exited||0", "kafka-init|exited||1"),
            "kafka-init exited (exit 1)",
        ),
    ],
    ids=["iris-starting", "standalone-missing", "kafka-init-failed"],
)
def test_a_container_not_healthy_fails_the_container_check(
    tmp_path: Path, ps: str, seen: str
) -> None:
    run, _ = _doctor(tmp_path, FAKE_PS=ps)
    assert run.status == 1
    assert _only_failure(run).startswith(f"FAIL containers: {seen}")


# The end of an iris container log when IRIS rejected an expired Community licence
# (iris-devtester, docs/learnings/community-license-expiry-not-core-limit.md).
LICENCE_LOG = (
    "[INFO] Starting InterSystems IRIS instance IRIS...\n"
    "Error: Invalid Community Edition license, may have exceeded core limit.\n"
    "- Shutting down the system : $zu(56,2)= 0\n"
)


def test_an_iris_that_rejected_its_licence_gets_one_line_and_the_doctor_stops(
    tmp_path: Path,
) -> None:
    ps = HEALTHY_PS.replace("iris|running|healthy", "iris|restarting|").replace(
        "standalone|running|healthy", "standalone|created|"
    )
    run, log = _doctor(tmp_path, FAKE_PS=ps, FAKE_IRIS_LOGS=LICENCE_LOG)
    assert run.status == 1
    line = _only_failure(run)
    assert line.startswith(
        "FAIL containers: iris restarting no health,"
        ' its log says "Invalid Community Edition license"'
        " -- likely cause: the Community image's bundled licence has likely expired"
    )
    assert "more than 20 CPU cores" in line
    assert line.endswith(
        "; fix: set IRIS_IMAGE in .env to a current tag, for instance"
        " containers.intersystems.com/intersystems/iris-community:latest-em,"
        " then docker compose build --pull iris && docker compose up -d"
    )
    assert run.stdout.splitlines() == [line, "doctor: 1 of 1 check(s) failed"]
    assert "docker compose logs --no-color iris" in log
    assert not any(" exec " in entry for entry in log), "no check runs against a dead IRIS"


def test_the_licence_line_is_found_in_a_log_longer_than_a_pipe_holds(tmp_path: Path) -> None:
    """IRIS keeps logging after the licence line; the doctor must still see it (a reader that
    quits at the first match would make the writer fail, and the pipeline with it)."""
    ps = HEALTHY_PS.replace("iris|running|healthy", "iris|restarting|")
    tail = "[INFO] still shutting down\n" * 3000  # about 80 KB: more than a 64 KB pipe buffer
    run, _ = _doctor(tmp_path, FAKE_PS=ps, FAKE_IRIS_LOGS=LICENCE_LOG + tail)
    assert run.status == 1
    assert _only_failure(run).startswith(
        "FAIL containers: iris restarting no health,"
        ' its log says "Invalid Community Edition license"'
    )


def test_an_unhealthy_iris_without_the_licence_line_gets_the_usual_container_failure(
    tmp_path: Path,
) -> None:
    ps = HEALTHY_PS.replace("iris|running|healthy", "iris|running|starting")
    run, log = _doctor(tmp_path, FAKE_PS=ps, FAKE_IRIS_LOGS="[INFO] Starting InterSystems IRIS\n")
    assert run.status == 1
    assert _only_failure(run).startswith("FAIL containers: iris running starting")
    assert "docker compose logs --no-color iris" in log
    assert run.stdout.splitlines()[-1] == "doctor: 1 of 16 check(s) failed"


def test_a_healthy_iris_is_not_blamed_for_an_old_licence_line(tmp_path: Path) -> None:
    run, log = _doctor(tmp_path, FAKE_IRIS_LOGS=LICENCE_LOG)
    assert run.status == 0, run.output
    assert not any(entry.startswith("docker compose logs") for entry in log)


def test_a_stopped_production_fails_the_production_check(tmp_path: Path) -> None:
    run, _ = _doctor(tmp_path, FAKE_STATUS=RUNNING.replace('"running"', '"stopped"'))
    assert run.status == 1
    line = _only_failure(run)
    assert line.startswith("FAIL production: iop --status says")
    assert "iop --log 50" in line


def test_an_item_with_errors_fails_with_its_own_line(tmp_path: Path) -> None:
    failing = (
        "FAIL item Python.LocalStorageBO: 2 error(s) in the last 10 min, last: <UNDEFINED>"
        " -- likely cause: the IRISAPP database; fix: docker compose exec iris iop --log 50"
    )
    run, _ = _doctor(tmp_path, **_failing_item("Python.LocalStorageBO", failing))
    assert run.status == 1
    assert _only_failure(run) == failing


def test_a_door_that_is_down_fails_its_health_check(tmp_path: Path) -> None:
    run, log = _doctor(tmp_path, FAKE_DOWN=":5001")
    assert run.status == 1
    line = _only_failure(run)
    assert line.startswith("FAIL door standalone (http://localhost:5001): GET /health answered 000")
    assert "docker compose logs standalone" in line
    assert not any(":5001/kafka" in entry for entry in log), "no probe after a failed /health"


def test_a_door_that_rejects_the_probe_fails_with_its_answer(tmp_path: Path) -> None:
    run, _ = _doctor(tmp_path, FAKE_POST_FAILS=":5000")
    assert run.status == 1
    line = _only_failure(run)
    assert line.startswith(
        "FAIL door iris-gunicorn (http://localhost:5000): POST /kafka answered 503"
    )
    assert "production unavailable" in line


def test_a_probe_without_its_row_fails_the_door(tmp_path: Path) -> None:
    run, _ = _doctor(tmp_path, FAKE_ROW_STATUS="1")
    assert run.status == 1
    failures = _lines(run, "FAIL")
    assert len(failures) == 3
    assert all("POST /kafka 200 but no row doctor-" in line for line in failures)


def test_iris_kafka_errors_point_at_the_kafka_image_override(tmp_path: Path) -> None:
    failing = (
        "FAIL item EnsLib.Kafka.Service: 3 error(s) in the last 10 min, last: UnsupportedVersion"
        " -- likely cause: x; fix: y"
    )
    run, _ = _doctor(tmp_path, **_failing_item("EnsLib.Kafka.Service", failing))
    assert run.status == 1
    lines = _lines(run, "FAIL")
    assert lines[0] == failing
    assert lines[1].startswith("FAIL EnsLib.Kafka.Service: the %Java Server runs but the item")
    assert "KAFKA_IMAGE=apache/kafka:3.9.1" in lines[1]


def test_a_licence_that_ends_within_30_days_fails_naming_the_fix(tmp_path: Path) -> None:
    run, _ = _doctor(tmp_path, FAKE_LICENCE="%SYS>\nlicence-expiry: 2027-04-23 12\n")
    assert run.status == 1
    line = _only_failure(run)
    assert line.startswith(
        "FAIL licence: the instance's key expires 2027-04-23 (12 day(s) left) -- likely cause:"
        " the Community image's bundled licence ends about a year after its release; fix: set"
        " IRIS_IMAGE in .env to a current tag"
    )


def test_build_warnings_fail_the_last_check_with_the_first_warning(tmp_path: Path) -> None:
    warnings = "WARNING: the %Java Server did not start\nWARNING: strict validation\n"
    run, _ = _doctor(tmp_path, FAKE_WARNINGS=warnings)
    assert run.status == 1
    line = _only_failure(run)
    assert line.startswith(
        "FAIL build warnings: 2 WARNING line(s), first: WARNING: the %Java Server did not start"
    )
    assert run.stdout.splitlines()[-1] == "doctor: 1 of 16 check(s) failed"


def test_doctor_sql_url_reaches_the_sql_snippet_in_the_container(tmp_path: Path) -> None:
    run, log = _doctor(tmp_path, DOCTOR_SQL_URL="iris+emb:///IRISAPP")
    assert run.status == 0, run.output
    # items, then one row look-up per door
    assert log.count("env DOCTOR_SQL_URL=iris+emb:///IRISAPP") == 4


@pytest.mark.parametrize(
    ("env", "failure"),
    [
        (
            {"FAKE_ITEMS": "Traceback (most recent call last):", "FAKE_ITEMS_STATUS": "1"},
            "FAIL items: no answer from",
        ),
        (
            {"FAKE_TOPIC": "\n".join(TOPIC.splitlines()[:2]) + "\n"},
            "FAIL topics: kafka_demo has 1 partition(s), 2 expected",
        ),
        ({"FAKE_DLQ_STATUS": "1"}, "FAIL topics: kafka_demo.dlq does not exist"),
        (
            {"FAKE_GROUP": GROUP.replace("12 12 0 kp-1", "12 162 150 kp-1")},
            "FAIL consumer group demo-group: lag 150 on kafka_demo",
        ),
        (
            {"FAKE_GROUP": GROUP.replace("KafkaConsumer-1 /172 KafkaConsumer", "- - -")},
            "FAIL consumer group demo-group: partition(s) 1 of kafka_demo have no consumer",
        ),
        ({"FAKE_JAVA_STATUS": "1"}, "FAIL EnsLib.Kafka.Service: no Java process"),
        (
            {"FAKE_MEMBERS": "\n".join(MEMBERS.splitlines()[:-1])},
            "FAIL EnsLib.Kafka.Service: the %Java Server runs, but no IRIS consumer is in group",
        ),
        (
            {"FAKE_LICENCE": "%SYS>\n<METHOD DOES NOT EXIST>\n"},
            "FAIL licence: no expiry read: <METHOD DOES NOT EXIST>",
        ),
        ({"FAKE_WARNINGS_STATUS": "1"}, "FAIL build warnings: cannot read"),
    ],
    ids=[
        "no-answer-from-the-items-snippet",
        "a-topic-with-one-partition",
        "no-dead-letter-topic",
        "lag-above-the-limit",
        "a-partition-without-consumer",
        "no-java-process",
        "no-iris-consumer-in-the-group",
        "a-licence-that-cannot-be-read",
        "no-warnings-file-in-the-image",
    ],
)
def test_one_thing_broken_fails_only_its_check_with_its_cause_and_fix(
    tmp_path: Path, env: dict[str, str], failure: str
) -> None:
    run, _ = _doctor(tmp_path, **env)
    assert run.status == 1
    assert _only_failure(run).startswith(failure)
