#!/bin/bash
# Checks a running stack after `docker compose up -d`, in order, one line per check:
#   PASS <check>: <what it saw>
#   FAIL <check>: <what it saw> -- likely cause: <...>; fix: <...>
# 1. containers up and healthy (an unhealthy iris whose log shows a rejected Community
#    licence gets that cause, and the doctor stops there)    2. production running (iop --status)
# 3. each item and its last errors (Ens_Util.Log over iris://, misc/deploy/iris/doctor_iris.py;
#    an error that names its own cause and fix, as LocalStorageBO's start-up check does, keeps them)
# 4. the three HTTP doors: GET /health, one POST /kafka probe, and its row
# 5. the topics, and the consumer group's lag    6. EnsLib.Kafka.Service connects
# 7. the instance's licence key expiry    8. the WARNING lines of the image build (build.sh kept them)
# Exits 0 only if every check passes. Run it from anywhere: ./misc/deploy/doctor.sh
# Needs docker (with compose) and curl on the host; everything else runs in the containers.
set -uo pipefail

cd "$(dirname "$0")/../.."

host="${DOCTOR_HOST:-localhost}"
user="${IRIS_USERNAME:-SuperUser}"
password="${IRIS_PASSWORD:-SYS}"
production="${IRIS_PRODUCTION:-Python.Production}"
topic="${KAFKA_TOPIC:-kafka_demo}"
dlq="${KAFKA_DLQ_TOPIC:-kafka_demo.dlq}"
group="${KAFKA_GROUP_ID:-demo-group}"
partitions="${KAFKA_TOPIC_PARTITIONS:-2}"
max_lag="${DOCTOR_MAX_LAG:-100}"
doctor_iris=/irisdev/app/misc/deploy/iris/doctor_iris.py
kafka_bin=/opt/kafka/bin

checks=0
failures=0

pass() {
    checks=$((checks + 1))
    printf 'PASS %s\n' "$1"
}

# fail "<check>: <what it saw>" "<likely cause>" "<fix>"
fail() {
    checks=$((checks + 1))
    failures=$((failures + 1))
    printf 'FAIL %s -- likely cause: %s; fix: %s\n' "$1" "$2" "$3"
}

first_line() { head -n 1 | cut -c1-200; }

in_iris() { docker compose exec -T iris "$@"; }

# IRIS logs this at start when its Community licence is not valid, then shuts down; it
# usually means that the image's bundled licence expired (intersystems-community/iris-devtester:
# docs/learnings/community-license-expiry-not-core-limit.md, and its
# iris_devtester/containers/_base.py reads this line in the container log the same way);
# more than 20 cores, the Community limit (InterSystems' Community Edition limits,
# KEY=ACLOUD_limits), is the other cause.
licence_rejected='Invalid Community Edition license'

# The SQL checks read IRIS over iris://localhost:1972 inside the container; DOCTOR_SQL_URL
# (for instance iris+emb:///IRISAPP) replaces that URL if it does not work there.
in_iris_sql() {
    if [ -n "${DOCTOR_SQL_URL:-}" ]; then
        docker compose exec -T -e "DOCTOR_SQL_URL=${DOCTOR_SQL_URL}" iris python3 "$doctor_iris" "$@"
    else
        in_iris python3 "$doctor_iris" "$@"
    fi
}
in_kafka() { docker compose exec -T kafka "$@"; }

# 1. Containers: the three long-running services running and healthy, kafka-init done.
check_containers() {
    local ps
    if ! ps="$(docker compose ps -a --format '{{.Service}}|{{.State}}|{{.Health}}|{{.ExitCode}}' 2>&1)"; then
        fail "containers: docker compose ps failed: $(first_line <<<"$ps")" \
            "Docker is not running, or this is not the repository's compose project" \
            "start Docker, then docker compose up -d"
        printf 'doctor: %s of %s check(s) failed\n' "$failures" "$checks"
        exit 1
    fi
    local problems=() service state health code
    for service in kafka iris standalone; do
        IFS='|' read -r _ state health _ <<<"$(grep -m1 "^${service}|" <<<"$ps")"
        if [ -z "${state:-}" ]; then
            problems+=("${service} not created")
        elif [ "$state" != "running" ] || [ "${health:-}" != "healthy" ]; then
            problems+=("${service} ${state} ${health:-no health}")
        fi
        state="" health=""
    done
    iris_licence_check "$ps"
    IFS='|' read -r _ state _ code <<<"$(grep -m1 '^kafka-init|' <<<"$ps")"
    if [ "${state:-}" != "exited" ] || [ "${code:-}" != "0" ]; then
        problems+=("kafka-init ${state:-not created} (exit ${code:-none})")
    fi
    if [ "${#problems[@]}" -eq 0 ]; then
        pass "containers: kafka, iris, standalone running and healthy; kafka-init exited 0"
    else
        fail "containers: ${problems[*]}" \
            "a service failed to start, or is still starting (iris needs a few minutes)" \
            "docker compose ps; docker compose logs <service>; wait and run the doctor again"
    fi
}

# An iris container that is not healthy because IRIS rejected its Community licence gets
# that one line, and the doctor stops: every later check needs IRIS, and the fix is the
# same whatever they would say.
iris_licence_check() {
    local state health
    IFS='|' read -r _ state health _ <<<"$(grep -m1 '^iris|' <<<"$1")"
    [ "${state:-}" = "running" ] && [ "${health:-}" = "healthy" ] && return 0
    # grep reads the whole log (no -q): with pipefail, grep -q quitting at the first match
    # could kill the writer with SIGPIPE and make the pipeline fail although it matched.
    docker compose logs --no-color iris 2>&1 | grep -F "$licence_rejected" >/dev/null || return 0
    fail "containers: iris ${state:-not created} ${health:-no health}, its log says \"${licence_rejected}\"" \
        "the Community image's bundled licence has likely expired (it is valid for about a year from the image's release), or IRIS sees more than 20 CPU cores (the Community limit)" \
        "set IRIS_IMAGE in .env to a current tag, for instance containers.intersystems.com/intersystems/iris-community:latest-em, then docker compose build --pull iris && docker compose up -d"
    printf 'doctor: %s of %s check(s) failed\n' "$failures" "$checks"
    exit 1
}

# 2. The production runs: `iop --status` prints JSON with Production and Status.
check_production() {
    local status
    status="$(in_iris iop --status 2>&1)"
    if grep -q "\"Production\": \"${production}\"" <<<"$status" &&
        grep -q '"Status": "running"' <<<"$status"; then
        pass "production: ${production} running"
    else
        fail "production: iop --status says $(tr -s ' \n' ' ' <<<"$status" | cut -c1-200)" \
            "the production is stopped or troubled, or IRIS is not up" \
            "docker compose exec iris iop --log 50; docker compose restart iris"
    fi
}

# 3. Items and their last errors, one line each, from inside the IRIS container.
items_output=""
check_items() {
    items_output="$(in_iris_sql items 2>&1)"
    local line
    if ! grep -Eq '^(PASS|FAIL) ' <<<"$items_output"; then
        fail "items: no answer from ${doctor_iris}: $(first_line <<<"$items_output")" \
            "the iris container is not running or its Python cannot reach IRIS over SQL" \
            "docker compose ps iris; docker compose logs iris"
        return
    fi
    while IFS= read -r line; do
        case "$line" in
        "PASS "*) checks=$((checks + 1)) && printf '%s\n' "$line" ;;
        "FAIL "*) checks=$((checks + 1)) && failures=$((failures + 1)) && printf '%s\n' "$line" ;;
        esac
    done <<<"$items_output"
}

# 4. One HTTP door: /health, a POST /kafka probe, then its row in SQLUser.product.
check_door() {
    local name="$1" base="$2" service="$3" auth=()
    [ "$name" = "iris-wsgi" ] && auth=(-u "${user}:${password}")
    local body code probe
    body="$(mktemp)"
    code="$(curl -sS -o "$body" -w '%{http_code}' --max-time 30 ${auth[@]+"${auth[@]}"} "${base}/health" 2>&1)"
    if [ "$code" != "200" ] || ! grep -q '"status"' "$body"; then
        fail "door ${name} (${base}): GET /health answered ${code}: $(first_line <"$body")" \
            "the server is down or cannot reach IRIS" "docker compose logs ${service}"
        rm -f "$body"
        return
    fi
    probe="doctor-${name}-$(date +%s)-${RANDOM}"
    code="$(curl -sS -o "$body" -w '%{http_code}' --max-time 30 ${auth[@]+"${auth[@]}"} -X POST \
        -H 'Content-Type: application/json' -d "{\"name\": \"${probe}\", \"price\": 1}" \
        "${base}/kafka" 2>&1)"
    if [ "$code" != "200" ]; then
        fail "door ${name} (${base}): POST /kafka answered ${code}: $(first_line <"$body")" \
            "the production could not take the probe" \
            "docker compose exec iris iop --log 50; docker compose logs ${service}"
        rm -f "$body"
        return
    fi
    rm -f "$body"
    if in_iris_sql row "$probe" >/dev/null 2>&1; then
        pass "door ${name} (${base}): /health ok, POST /kafka 200, row ${probe} stored"
    else
        fail "door ${name} (${base}): POST /kafka 200 but no row ${probe} in SQLUser.product" \
            "the storage route failed (see item Python.LocalStorageBO above)" \
            "docker compose exec iris iop --log 50"
    fi
}

check_doors() {
    check_door iris-wsgi "http://${host}:53795/flask" iris
    check_door iris-gunicorn "http://${host}:5000" iris
    check_door standalone "http://${host}:5001" standalone
}

# 5. The topics exist with enough partitions, and the group keeps up.
check_topics() {
    local describe count
    describe="$(in_kafka "${kafka_bin}/kafka-topics.sh" --bootstrap-server localhost:9092 \
        --describe --topic "$topic" 2>&1)"
    count="$(grep -c 'Partition: ' <<<"$describe")"
    if [ "$count" -lt "$partitions" ]; then
        fail "topics: ${topic} has ${count} partition(s), ${partitions} expected" \
            "kafka-init did not run or the topic existed before" \
            "docker compose logs kafka-init; docker compose up -d kafka-init"
    elif ! in_kafka "${kafka_bin}/kafka-topics.sh" --bootstrap-server localhost:9092 \
        --describe --topic "$dlq" >/dev/null 2>&1; then
        fail "topics: ${dlq} does not exist" "kafka-init did not run" \
            "docker compose logs kafka-init; docker compose up -d kafka-init"
    else
        pass "topics: ${topic} has ${count} partitions, ${dlq} exists"
    fi
}

# Sums the LAG column for the topic and names partitions without a consumer
# (kafka-consumer-groups.sh --describe: GROUP TOPIC PARTITION ... LAG CONSUMER-ID ...).
lag_summary() {
    awk -v topic="$topic" '
        $0 ~ /LAG/ && $0 ~ /PARTITION/ { for (i = 1; i <= NF; i++) col[$i] = i; next }
        col["TOPIC"] && $col["TOPIC"] == topic {
            rows++
            if ($col["LAG"] ~ /^[0-9]+$/) lag += $col["LAG"]
            if ($col["CONSUMER-ID"] == "-") idle = idle " " $col["PARTITION"]
        }
        END { printf "%d %d%s\n", rows, lag, idle }'
}

check_lag() {
    local describe rows lag idle
    describe="$(in_kafka "${kafka_bin}/kafka-consumer-groups.sh" --bootstrap-server localhost:9092 \
        --describe --group "$group" 2>&1)"
    read -r rows lag idle <<<"$(lag_summary <<<"$describe")"
    if [ "$rows" -eq 0 ]; then
        fail "consumer group ${group}: no offsets for ${topic}: $(first_line <<<"$describe")" \
            "no consumer of the production has joined the group yet" \
            "see items Python.KafkaDemoBS and EnsLib.Kafka.Service above"
    elif [ -n "$idle" ]; then
        fail "consumer group ${group}: partition(s)${idle:+ $idle} of ${topic} have no consumer (lag ${lag})" \
            "a consumer of the production stopped" \
            "see items Python.KafkaDemoBS and EnsLib.Kafka.Service above"
    elif [ "$lag" -gt "$max_lag" ]; then
        fail "consumer group ${group}: lag ${lag} on ${topic} (limit ${max_lag})" \
            "the consumers are behind or stuck" "run the doctor again in a minute; docker compose exec iris iop --log 50"
    else
        pass "consumer group ${group}: lag ${lag} on ${topic}, every partition has a consumer"
    fi
}

# 6. EnsLib.Kafka.Service: a JVM runs in the iris container (the %Java Server), the item
# logged no error (its line above), and a consumer other than kafka-python is in the group.
# UNCONFIRMED: the client id of IRIS's Kafka client; any member whose CLIENT-ID does not
# start with kafka-python (the Python consumer's default) counts as IRIS's.
check_iris_kafka() {
    local members others
    if ! in_iris bash -c "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep -Eq '(^|/)java\$'"; then
        fail "EnsLib.Kafka.Service: no Java process in the iris container" \
            "the %Java Server did not start (no JRE, or it failed)" \
            "read the build WARNINGs below; docker compose logs iris"
        return
    fi
    if grep -q '^FAIL item EnsLib.Kafka.Service' <<<"$items_output"; then
        fail "EnsLib.Kafka.Service: the %Java Server runs but the item logs errors (line above)" \
            "IRIS's bundled Kafka client cannot talk to this broker" \
            "if the errors say UnsupportedVersion, set KAFKA_IMAGE=apache/kafka:3.9.1 in .env and docker compose up -d"
        return
    fi
    members="$(in_kafka "${kafka_bin}/kafka-consumer-groups.sh" --bootstrap-server localhost:9092 \
        --describe --group "$group" --members 2>&1)"
    others="$(awk '
        $0 ~ /CLIENT-ID/ { for (i = 1; i <= NF; i++) col[$i] = i; next }
        col["CLIENT-ID"] && NF >= col["CLIENT-ID"] && $col["CLIENT-ID"] !~ /^kafka-python/ { n++ }
        END { print n + 0 }' <<<"$members")"
    if [ "$others" -lt 1 ]; then
        fail "EnsLib.Kafka.Service: the %Java Server runs, but no IRIS consumer is in group ${group}" \
            "IRIS's Kafka client has not joined (or cannot talk to this broker version)" \
            "docker compose exec iris iop --log 50; try KAFKA_IMAGE=apache/kafka:3.9.1 in .env"
    else
        pass "EnsLib.Kafka.Service: the %Java Server runs, no error logged, ${others} IRIS consumer(s) in ${group}"
    fi
}

# 7. WARNING lines kept by misc/deploy/iris/build.sh while the image was built.
check_build_warnings() {
    local warnings count
    if ! warnings="$(in_iris cat /irisdev/app/build-warnings.log 2>&1)"; then
        fail "build warnings: cannot read /irisdev/app/build-warnings.log" \
            "the image was built before misc/deploy/iris/build.sh, or iris is not running" \
            "docker compose build iris && docker compose up -d"
        return
    fi
    count="$(grep -c '^WARNING:' <<<"$warnings")"
    if [ "$count" -eq 0 ]; then
        pass "build warnings: none"
    else
        fail "build warnings: ${count} WARNING line(s), first: $(grep -m1 '^WARNING:' <<<"$warnings" | cut -c1-200)" \
            "an optional part of the image did not build (each line names what it affects)" \
            "docker compose exec iris cat /irisdev/app/build-warnings.log"
    fi
}

# 7. The licence key's expiry, read from the running instance ($SYSTEM.License.KeyExpirationDate(),
# misc/deploy/iris/licence.script, as the build reads it); fewer than 30 days left fails.
check_licence() {
    local answer expiry expiry_date days_left
    answer="$(in_iris iris session IRIS -U %SYS <misc/deploy/iris/licence.script 2>&1)"
    expiry="$(grep -m1 '^licence-expiry: ' <<<"$answer" | sed 's/^licence-expiry: //')"
    case "$expiry" in
    "")
        fail "licence: no expiry read: $(grep -v '^[[:space:]]*$' <<<"$answer" | tail -n 1 | cut -c1-200)" \
            "IRIS is not up in the iris container" "docker compose ps iris; docker compose logs iris"
        ;;
    none) pass "licence: the instance's key has no expiry date" ;;
    *)
        read -r expiry_date days_left <<<"$expiry"
        if [ "$days_left" -lt 30 ]; then
            fail "licence: the instance's key expires ${expiry_date} (${days_left} day(s) left)" \
                "the Community image's bundled licence ends about a year after its release" \
                "set IRIS_IMAGE in .env to a current tag, for instance containers.intersystems.com/intersystems/iris-community:latest-em, and rebuild: docker compose build --pull iris"
        else
            pass "licence: the instance's key expires ${expiry_date} (${days_left} days left)"
        fi
        ;;
    esac
}

check_containers
check_production
check_items
check_doors
check_topics
check_lag
check_iris_kafka
check_licence
check_build_warnings

if [ "$failures" -eq 0 ]; then
    printf 'doctor: all %s checks passed\n' "$checks"
    exit 0
fi
printf 'doctor: %s of %s check(s) failed\n' "$failures" "$checks"
exit 1
