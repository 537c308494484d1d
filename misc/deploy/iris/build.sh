#!/bin/bash
# Bakes Python.Production into the IRIS image; the Dockerfile runs it once, as the
# IRIS owner, with IRIS stopped before and after.
#
# The order follows IoP's own CI (test-in-docker.sh of
# grongierisc/interoperability-embedded-python v4.1.1): iris start, iris merge,
# `python3 -c "import iris ..."`, iop --init, iop --migrate, iop --default, iris stop.
# Where this script differs, the step says why.
#
# What makes the production unusable fails the build, with one ERROR line naming
# what is missing. What only an optional item needs prints a WARNING line, which
# is also kept in $BUILD_WARNINGS for misc/deploy/doctor.sh to report.
set -uo pipefail

app_dir="${APP_DIR:-/irisdev/app}"
instance="${ISC_PACKAGE_INSTANCENAME:-IRIS}"
production="${IRIS_PRODUCTION:-Python.Production}"
settings="${app_dir}/src/python/settings.py"
storage_item="Python.LocalStorageBO"
# One message class per route of LocalStorageBO (kafka_demo.msg).
declare -A route_messages=(
    [sql]=kafka_demo.msg.ProductSQLMessage
    [iris]=kafka_demo.msg.ProductIRISMessage
    [sqlalchemy]=kafka_demo.msg.ProductSQLAlchemyMessage
)
warnings_file="${BUILD_WARNINGS:-${app_dir}/build-warnings.log}"
session_log="$(mktemp)"
start_log="$(mktemp)"
messages_log="${ISC_PACKAGE_INSTALLDIR:-/usr/irissys}/mgr/messages.log"
messages_offset=0

# IRIS error names may hold spaces: <CLASS DOES NOT EXIST>, <METHOD DOES NOT EXIST>,
# <LICENSE LIMIT EXCEEDED> (docs/iris-evidence.md#iris-error-names); `ERROR #` starts a %Status text.
IRIS_ERROR='ERROR #|<[A-Z][A-Z ]*>'

# What IRIS prints at start when its Community licence is not valid, in the output of
# `iris start` (a docker build log in intersystems-community/PythonGateway-Template issues
# #3 and #4) and in messages.log. It usually means that the image's bundled licence has
# expired (intersystems-community/iris-devtester,
# docs/learnings/community-license-expiry-not-core-limit.md); more than 20 cores, the
# Community limit (InterSystems' Community Edition limits, KEY=ACLOUD_limits), is the other cause.
LICENCE_REJECTED='Invalid Community Edition license'
LICENCE_EXPIRED="IRIS refused to start (\"${LICENCE_REJECTED}\"): the Community image's bundled \
licence has likely expired (it is valid for about a year from the image's release), or IRIS sees more \
than 20 CPU cores (the Community limit); fix: set IRIS_IMAGE in .env to a current tag, for \
instance containers.intersystems.com/intersystems/iris-community:latest-em, and rebuild: \
docker compose build --pull iris"

say() { printf 'build: %s\n' "$*"; }

warn() {
    printf 'WARNING: %s\n' "$*"
    printf 'WARNING: %s\n' "$*" >>"$warnings_file"
}

iris_stopped=""
stop_iris() {
    [ -n "$iris_stopped" ] && return 0
    iris_stopped=1
    # IoP's CI only warns when IRIS does not stop cleanly (test-in-docker.sh iris_stop):
    # the instance recovers from its journal at the next start.
    if ! iris stop "$instance" quietly; then
        warn "IRIS did not stop cleanly at the end of the build; it recovers at its next start"
    fi
}

# True when IRIS logged the licence line during this build: in the output of `iris start`,
# or in what messages.log gained since then. No grep -q after a pipe: with pipefail, its
# early exit could SIGPIPE the writer and fail the pipeline although the line was found.
licence_rejected() {
    grep -qF "$LICENCE_REJECTED" "$start_log" && return 0
    [ -r "$messages_log" ] &&
        tail -c "+$((messages_offset + 1))" "$messages_log" | grep -F "$LICENCE_REJECTED" >/dev/null
}

# One ERROR line. A rejected licence explains any failure after it (IRIS shuts itself
# down), so its message replaces the failed step's.
fail() {
    local message="$*"
    licence_rejected && message="$LICENCE_EXPIRED"
    printf 'ERROR: %s\n' "$message" >&2
    stop_iris
    rm -f "$session_log" "$start_log"
    exit 1
}

# Runs an ObjectScript file in a terminal session. It fails the build when the session
# exits non-zero, prints an IRIS error, or never reaches its last line (marker); the
# message names the script's own ERROR line when there is one.
run_checked_session() {
    local script="$1" namespace="$2" marker="$3" what="$4"
    iris session "$instance" -U "$namespace" <"$script" 2>&1 | tee "$session_log"
    local status="${PIPESTATUS[0]}"
    if [ "$status" -eq 0 ] && ! grep -Eq "$IRIS_ERROR" "$session_log" &&
        grep -qF "$marker" "$session_log"; then
        return 0
    fi
    local reason
    reason="$(grep -m1 '^ERROR: ' "$session_log" | sed 's/^ERROR: //')"
    [ -z "$reason" ] && reason="$(grep -Em1 "$IRIS_ERROR" "$session_log" | sed 's/^.*\(ERROR #\)/\1/')"
    [ -z "$reason" ] && [ "$status" -ne 0 ] && reason="the IRIS session ended with status $status"
    [ -z "$reason" ] && reason="the IRIS session stopped before its last line"
    fail "$what: $reason"
}

# Runs one of the build's Python probes: "$4..." is its command, "$3" the process that runs
# it, "$1" the prefix of its lines (`<prefix>: <step>` before each step, `<prefix>: ok` at
# the end, one `<prefix>-error: <step>: <what>` when a step fails), "$2" what the ERROR
# line calls it.
# It fails the build with one ERROR line naming the probe's step: the probe's own error
# line, or, when the process crashed (a signal), the last step it announced.
run_probe() {
    local prefix="$1" what="$2" process="$3"
    shift 3
    "$@" 2>&1 | tee "$session_log"
    local status="${PIPESTATUS[0]}"
    if [ "$status" -eq 0 ] && grep -qx "${prefix}: ok" "$session_log"; then
        return 0
    fi
    local reason step
    reason="$(grep -m1 "^${prefix}-error: " "$session_log" | sed "s/^${prefix}-error: //")"
    if [ -z "$reason" ]; then
        step="$(grep "^${prefix}: [^ ]" "$session_log" | tail -n 1 | sed "s/^${prefix}: //")"
        reason="${step:-start}: ${process} ended with status ${status}"
        if [ "$status" -gt 128 ]; then
            reason="${reason} (signal $((status - 128)): a crash of embedded Python)"
        elif [ "$status" -eq 0 ]; then
            reason="${step:-start}: the probe stopped before its last step"
        fi
    fi
    fail "${what}, step ${reason}"
}

# misc/deploy/iris/probe.py in irispython, IRIS's own Python, logged in through callin as
# iop and gunicorn are.
irispython_probe() {
    IRISPASSWORD=SYS irispython "${app_dir}/misc/deploy/iris/probe.py" "${app_dir}/src/python"
}

# misc/deploy/iris/kernel_probe.py inside the IRIS kernel, where the production's jobs run
# Python: `iris python <instance>` reads the script from its input, as the wrapper's CI
# runs its kernel test (iris-embedded-python-wrapper tests/iris/test_embedded_runtime_e2e.py).
# A script fed on the input has no folder of its own on sys.path, so this folder follows
# src/python on PYTHONPATH: the probe imports probe_steps.py from it.
# UNCONFIRMED without IRIS: that a script fed this way meets the same `iris` module and
# sys.path as a job that Ens.Director starts; the three-route store below runs in the jobs.
kernel_probe() {
    PYTHONPATH="${app_dir}/src/python:${app_dir}/misc/deploy/iris${PYTHONPATH:+:${PYTHONPATH}}" \
        iris python "$instance" <"${app_dir}/misc/deploy/iris/kernel_probe.py"
}

# The build logs in with merge.cpf's bootstrap password SYS; iris.script sets the final
# one (IRISPASSWORD, from the IRIS_PASSWORD build argument) at the end.
# --force-local (not in IoP's CI): an IOP_URL or REMOTE_SETTINGS in the environment must
# never send a build step to another IRIS (IoP cli/parser.py).
iop() { IRISPASSWORD=SYS python3 -m iop --force-local "$@"; }

# misc/deploy/iris/route_store.py: Ens_Util.Log and the stored rows, through the storage URL.
route_store() {
    IRISPASSWORD=SYS PYTHONPATH="${app_dir}/src/python${PYTHONPATH:+:${PYTHONPATH}}" \
        python3 "${app_dir}/misc/deploy/iris/route_store.py" "$@"
}

# What IRIS logged for the storage item since the build's mark, else what the command said.
logged_or() {
    local logged
    logged="$(route_store logged-error "$log_mark" 2>/dev/null | tail -n 1)"
    if [ -n "$logged" ] && [[ "$logged" != route-store-error:* ]]; then
        printf '%s logged: %s' "$storage_item" "$logged"
    else
        printf '%s' "$*"
    fi
}

last_line() { grep -v '^[[:space:]]*$' "$1" | tail -n 1 | cut -c1-300; }

# Not in IoP's CI: one product stored by each of LocalStorageBO's routes in the production's
# own jobs, with Kafka absent (`iop --test`: IoP sends it through EnsLib.Testing.Service;
# settings.py enables testing), then the three rows read back by SQL and deleted. Any
# failure ends the build with one ERROR line naming the step or route and the error IRIS
# logged for the item in Ens_Util.Log.
# UNCONFIRMED without IRIS: whether `iop --start` exits non-zero when EnsLib.Kafka.Service
# cannot reach a broker; so a failed start is fatal only when no route then stores.
log_mark=0
store_through_the_production() {
    local output="$session_log" route classname name names=() start_error=""
    route_store mark >"$output" 2>&1 || fail "three-route store, step log mark: $(last_line "$output")"
    log_mark="$(last_line "$output")"
    if ! iop --start "$production" --detach >"$output" 2>&1; then
        start_error="$(last_line "$output")"
        say "iop --start reported: ${start_error} (Kafka is absent during the build)"
    fi
    for route in sql iris sqlalchemy; do
        classname="${route_messages[$route]}"
        name="image build, ${route} route"
        if ! iop --test "$storage_item" --classname "$classname" \
            --body "{\"name\": \"${name}\", \"price\": \"0.01\"}" >"$output" 2>&1; then
            cat "$output"
            fail "three-route store, route ${route}: $(logged_or "${start_error:-$(last_line "$output")}")"
        fi
        cat "$output"
        say "route ${route}: stored by ${storage_item}"
        names+=("$name")
    done
    if ! route_store read-back "${names[@]}" >"$output" 2>&1; then
        cat "$output"
        fail "three-route store, step read back: $(grep -m1 '^route-store-error: ' "$output" |
            sed 's/^route-store-error: //' || last_line "$output")"
    fi
    cat "$output"
    iop --stop >"$output" 2>&1 || fail "three-route store, step production stop: $(last_line "$output")"
}

: >"$warnings_file"

# The Dockerfile installs a JRE as root and links it to JAVA_HOME, which the %Java Server
# uses (docs/iris-evidence.md#java-home); its absence only affects EnsLib.Kafka.Service.
if [ ! -x "${JAVA_HOME:-/opt/java-home}/bin/java" ]; then
    warn "no Java runtime at JAVA_HOME (${JAVA_HOME:-/opt/java-home}): EnsLib.Kafka.Service cannot start (the other doors work)"
fi

say "starting IRIS"
[ -r "$messages_log" ] && messages_offset="$(wc -c <"$messages_log")"
# Into a file, not a pipe: IRIS's daemons may keep the output open after `iris start` ends.
iris start "$instance" >"$start_log" 2>&1
start_status=$?
cat "$start_log"
if [ "$start_status" -ne 0 ] || licence_rejected; then
    fail "IRIS did not start (iris start $instance)"
fi

say "applying merge.cpf"
iris merge "$instance" "${app_dir}/merge.cpf" || fail "iris merge of merge.cpf failed"

# Not in IoP's CI: `iris merge` reports success even when an action did nothing
# (docs/iris-evidence.md#merge-silent), so each result it must leave is checked by name here.
say "checking what merge.cpf created"
run_checked_session "${app_dir}/misc/deploy/iris/check-merge.script" "%SYS" \
    "check-merge: done" "merge.cpf check"

# IoP's CI prints the IRIS version through embedded Python first: it proves that
# python3 logs in through callin before any iop step depends on it.
say "checking that python3 reaches IRIS"
IRISPASSWORD=SYS python3 -c "import iris; print('IRIS', iris.system.Version.GetVersion())" ||
    fail "python3 cannot log in to IRIS through callin (check %Service_CallIn and SuperUser)"

say "loading IoP's classes (iop --init)"
iop --init || fail "iop --init could not load or compile IoP's ObjectScript classes"

say "registering the production (iop --migrate)"
iop --migrate "$settings" || fail "iop --migrate could not register ${production} from ${settings}"

say "making ${production} the default production (iop --default)"
iop --default "$production" || fail "iop --default ${production} failed"

# Not in IoP's CI: the production's own imports, its storage URL and a User.product save,
# in an IRIS Python process, so that a package that breaks embedded Python fails the build
# here instead of the first stored message (docs/iris-evidence.md#python-in-iris).
say "probing embedded Python with the installed packages (misc/deploy/iris/probe.py)"
run_probe probe "embedded-Python probe" irispython irispython_probe

# Not in IoP's CI: which `iris` module the kernel's Python gets, and whether the storage
# URL's driver finds a DB-API there (docs/iris-evidence.md#python-in-iris).
say "probing Python inside the IRIS kernel (misc/deploy/iris/kernel_probe.py)"
run_probe kernel-probe "kernel probe" "iris python" kernel_probe

say "storing one product by each route through ${production} (iop --test ${storage_item})"
store_through_the_production

# Strict validation checks the setting names of native items (EnsLib.Kafka.Service and
# its adapter) against the real IRIS dictionary. Only that optional item depends on
# them, so a mismatch is a warning. --dry-run writes nothing to IRIS (IoP cli/parser.py).
say "validating setting names against the IRIS dictionary"
if ! validation="$(iop --migrate "$settings" --dry-run --strict-production-validation 2>&1)"; then
    printf '%s\n' "$validation"
    warn "strict production validation reported setting names IRIS does not know: $(
        printf '%s' "$validation" | grep -v '^[[:space:]]*$' | tail -n 3 | tr '\n' ' '
    )"
fi

say "final checks, password and auto-start (iris.script)"
run_checked_session "${app_dir}/iris.script" "%SYS" "iris.script: done" "iris.script"

# Not in IoP's CI: the instance's own licence expiry (docs/iris-evidence.md#licence-expiry).
# A Community image stops starting once it has passed, so a key that ends within
# LICENCE_WARN_DAYS is a warning, kept for the doctor; an expiry that cannot be read is one too.
say "reading the licence key's expiry (misc/deploy/iris/licence.script)"
iris session "$instance" -U "%SYS" <"${app_dir}/misc/deploy/iris/licence.script" >"$session_log" 2>&1
licence="$(grep -m1 '^licence-expiry: ' "$session_log" | sed 's/^licence-expiry: //')"
case "$licence" in
"") warn "the licence key's expiry could not be read: $(grep -v '^[[:space:]]*$' "$session_log" |
    tail -n 1 | cut -c1-200)" ;;
none) say "licence: the instance's key has no expiry date" ;;
*)
    read -r expiry_date days_left <<<"$licence"
    say "licence: the instance's key expires ${expiry_date}, ${days_left} day(s) after this build"
    if [ "$days_left" -lt "${LICENCE_WARN_DAYS:-30}" ]; then
        warn "the instance's licence key expires ${expiry_date}, ${days_left} day(s) after this build: IRIS will not start after it; set IRIS_IMAGE in .env to a current tag and rebuild"
    fi
    ;;
esac

# Not in IoP's CI: EnsLib.Kafka.Service runs on the %Java Server
# (docs/iris-evidence.md#kafka-java-server).
# Only that optional item needs it, so a server that cannot start is a warning.
say "checking the %Java Server for EnsLib.Kafka.Service"
iris session "$instance" -U "%SYS" <"${app_dir}/misc/deploy/iris/check-java.script" 2>&1 |
    tee "$session_log"
if ! grep -qF "java-server: ok" "$session_log"; then
    warn "the %Java Server did not start: EnsLib.Kafka.Service cannot connect ($(
        grep -m1 'java-server:' "$session_log" || echo 'no answer'
    ))"
fi

say "stopping IRIS"
stop_iris
rm -f "$session_log" "$start_log"
warnings="$(grep -c '^WARNING:' "$warnings_file")"
say "done, ${warnings} warning(s)"
