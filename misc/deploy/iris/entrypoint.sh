#!/bin/bash
# Container entrypoint of the IRIS image: runs /iris-main, plus the gunicorn
# supervisor next to it. The production itself needs no start step: the image
# marks it auto-start (iris.script), so IRIS starts it.
#
# /iris-main is started directly, as the entrypoints of IoP and iris-flask-template
# do (`/iris-main "$@" &`), on every image: /docker-entrypoint.sh exists only in the
# intersystemsdc images (intersystems-community/zpm-dockerhub), and what it adds
# (first-start init scripts, callin, a namespace) is baked into this image already.
#
# Stopping: iris-main "intercepts SIGTERM and SIGINT and executes a graceful shutdown"
# (InterSystems "The iris-main Program", docs/iris-evidence.md#iris-main). This script passes the
# signal on after stopping gunicorn (which talks to IRIS), then waits for iris-main,
# and exits with its status. docker-compose.yml gives it stop_grace_period to finish.
set -uo pipefail

app_dir="${APP_DIR:-/irisdev/app}"
iris_main="${IRIS_MAIN:-/iris-main}"

"$iris_main" "$@" &
iris_pid=$!

bash "${app_dir}/misc/deploy/iris/gunicorn-supervisor.sh" &
supervisor_pid=$!

stop_all() {
    local signal="$1"
    trap '' TERM INT
    kill -TERM "$supervisor_pid" 2>/dev/null
    wait "$supervisor_pid" 2>/dev/null
    kill "-${signal}" "$iris_pid" 2>/dev/null
}
trap 'stop_all TERM' TERM
trap 'stop_all INT' INT

# `wait` returns early (status > 128) when a trapped signal arrives: wait again until
# iris-main has exited. If bash reaped it during the trap, one more `wait` still
# reports its status (127 means there was nothing left to report).
status=0
while kill -0 "$iris_pid" 2>/dev/null; do
    wait "$iris_pid"
    status=$?
done
wait "$iris_pid" 2>/dev/null
last=$?
[ "$last" -ne 127 ] && status=$last

# IRIS is gone on its own: stop the supervisor too, so the container ends.
kill -TERM "$supervisor_pid" 2>/dev/null
wait "$supervisor_pid" 2>/dev/null
exit "$status"
