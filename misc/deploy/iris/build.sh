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

# Runs misc/deploy/iris/probe.py in irispython, IRIS's own Python, logged in through callin as
# the production's jobs are. It fails the build with one ERROR line naming the probe's
# step: the probe's own probe-error line, or, when the process crashed (a signal), the
# last step it announced.
run_probe() {
    IRISPASSWORD=SYS irispython "${app_dir}/misc/deploy/iris/probe.py" "${app_dir}/src/python" 2>&1 |
        tee "$session_log"
    local status="${PIPESTATUS[0]}"
    if [ "$status" -eq 0 ] && grep -qx 'probe: ok' "$session_log"; then
        return 0
    fi
    local reason step
    reason="$(grep -m1 '^probe-error: ' "$session_log" | sed 's/^probe-error: //')"
    if [ -z "$reason" ]; then
        step="$(grep '^probe: [^ ]' "$session_log" | tail -n 1 | sed 's/^probe: //')"
        reason="${step:-start}: irispython ended with status ${status}"
        if [ "$status" -gt 128 ]; then
            reason="${reason} (signal $((status - 128)): a crash of embedded Python)"
        elif [ "$status" -eq 0 ]; then
            reason="${step:-start}: the probe stopped before its last step"
        fi
    fi
    fail "embedded-Python probe, step ${reason}"
}

# The build logs in with merge.cpf's bootstrap password SYS; iris.script sets the final
# one (IRISPASSWORD, from the IRIS_PASSWORD build argument) at the end.
# --force-local (not in IoP's CI): an IOP_URL or REMOTE_SETTINGS in the environment must
# never send a build step to another IRIS (IoP cli/parser.py).
iop() { IRISPASSWORD=SYS python3 -m iop --force-local "$@"; }

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
run_probe

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
