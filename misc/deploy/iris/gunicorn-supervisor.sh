#!/bin/bash
# Serve src/python/app.py with gunicorn on port 5000 inside the IRIS container.
# Waits until the production runs (app.py reaches its business service through
# it), then starts gunicorn and starts it again whenever it exits.
set -uo pipefail

app_dir="${APP_DIR:-/irisdev/app}"
config="${app_dir}/misc/deploy/gunicorn/gunicorn.conf.py"
restart_delay="${GUNICORN_RESTART_DELAY:-5}"

log() { printf '%s gunicorn-supervisor: %s\n' "$(date -u +%FT%TZ)" "$*"; }

child=""
stop() {
    log "stopping"
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    exit 0
}
trap stop TERM INT

until bash "${app_dir}/misc/deploy/iris/production-running.sh"; do
    log "waiting for the production to run"
    sleep 5
done

while true; do
    log "starting gunicorn"
    # python3 is the interpreter the requirements were installed for; it runs
    # embedded Python against the local instance (as IoP's own CI runs iop).
    python3 -m gunicorn -c "$config" --chdir "${app_dir}/src/python" app:app &
    child=$!
    wait "$child"
    code=$?
    child=""
    log "gunicorn exited with status ${code}; restarting in ${restart_delay}s"
    sleep "$restart_delay"
done
