#!/bin/bash
# Exit 0 only when the interoperability production is running in its namespace.
# Used by the compose health check and by the gunicorn supervisor, so "healthy"
# means the production is up, not merely that the IRIS process exists.
set -euo pipefail

production="${IRIS_PRODUCTION:-Python.Production}"

# `iop --status` prints {"Production": ..., "Status": "running"|...} as JSON; it
# logs in through callin with IRISUSERNAME/IRISPASSWORD/IRISNAMESPACE.
status_json="$(python3 -m iop --force-local --status 2>/dev/null)" || exit 1

python3 - "$production" "$status_json" <<'PY'
import json
import sys

wanted, raw = sys.argv[1], sys.argv[2]
status, _ = json.JSONDecoder().raw_decode(raw[raw.index("{") :])
ok = status.get("Production") == wanted and status.get("Status") == "running"
if not ok:
    print(f"production not running: {status}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
