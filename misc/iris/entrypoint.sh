#!/bin/bash
# Container entrypoint of the IRIS image: runs IRIS exactly as the base image
# would, plus the gunicorn supervisor next to it. The production itself needs no
# start step: the image marks it auto-start (iris.script), so IRIS starts it.
set -euo pipefail

app_dir="${APP_DIR:-/irisdev/app}"

# The intersystemsdc images start IRIS through /docker-entrypoint.sh (it adds
# --ISCAgent false and runs /docker-entrypoint-initdb.d on first start); plain
# InterSystems images only have /iris-main.
if [ -x /docker-entrypoint.sh ]; then
    /docker-entrypoint.sh "$@" &
else
    /iris-main "$@" &
fi
iris_pid=$!

bash "${app_dir}/misc/iris/gunicorn-supervisor.sh" &
supervisor_pid=$!

shutdown() {
    kill -TERM "$supervisor_pid" 2>/dev/null || true
    kill -TERM "$iris_pid" 2>/dev/null || true
    wait "$iris_pid" 2>/dev/null || true
}
trap shutdown TERM INT

# The container lives as long as IRIS does.
set +e
wait "$iris_pid"
code=$?
kill -TERM "$supervisor_pid" 2>/dev/null
exit "$code"
