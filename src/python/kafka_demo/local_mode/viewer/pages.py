"""GET /messages while `kafka-demo local` runs: the local twin of IRIS's Message Viewer.

A list of sessions (newest first, filtered by status and source item), the
selected session's visual trace as an SVG sequence diagram, and each message's
body. Server-rendered from templates/viewer/ with static/viewer.css; Jinja escapes every
text, so a hostile body stays text.
The page reloads itself every few seconds, unless a message body is open.
"""

import json
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    url_for,
)
from sqlalchemy import Engine

from kafka_demo.local_mode.trace.queries import (
    find_hop,
    find_sessions,
    resend_of,
    resendable,
    resent_as,
    session_hops,
    session_sources,
)
from kafka_demo.local_mode.trace.vocabulary import (
    REST_DOOR,
    SESSION_STATUSES,
    Hop,
    error_gist,
    short_class,
)
from kafka_demo.local_mode.viewer import MESSAGES_PATH
from kafka_demo.local_mode.viewer.sequence import hop_tone, sequence_diagram
from kafka_demo.rest.gateway import PRODUCT_PATH

DEFAULT_REFRESH_SECONDS = 5


def pretty(body: str) -> str:
    """A JSON body indented for reading; any other text as it is."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


class SelectedSession:
    """The session whose trace is shown: its hops, its status and its diagram."""

    def __init__(
        self,
        session_id: int,
        status: str,
        hops: list[Hop],
        resent_as: int | None = None,
        resend_of: int | None = None,
    ) -> None:
        self.id = session_id
        self.status = status
        self.hops = hops
        self.resent_as = resent_as
        self.resend_of = resend_of
        self.diagram = sequence_diagram(hops)
        self.refused_at_door = any(hop.target == REST_DOOR for hop in hops)
        self.resendable = resendable(hops)


def messages_blueprint(engine: Engine, last: int = 50, token: str = "") -> Blueprint:
    """The viewer's pages, reading the trace in `engine` (the REST door's refusals included,
    which the local app traces: kafka_demo.local_mode.web.door_trace). With the running
    instance's `token`, a failed Kafka input gets a Resend button
    (kafka_demo.local_mode.viewer.resend).
    """
    pages = Blueprint(
        "local_pages",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/messages/static",
    )

    @pages.get(MESSAGES_PATH)
    def messages() -> str | tuple[Response, int]:
        status = request.args.get("status", "")
        if status and status not in SESSION_STATUSES:
            return jsonify(
                error=f"unknown status {status!r}; one of {', '.join(SESSION_STATUSES)}",
                field="status",
            ), 400
        source = request.args.get("source", "")
        refresh = _refresh_seconds(request.args.get("refresh"))
        sessions = find_sessions(engine, last, status=status or None, source=source or None)
        return render_template(
            "viewer/messages.html",
            sessions=sessions,
            selected=_selected(engine, sessions, request.args.get("session", type=int)),
            statuses=SESSION_STATUSES,
            sources=session_sources(engine),
            status_filter=status,
            source_filter=source,
            refresh=refresh,
            default_refresh=DEFAULT_REFRESH_SECONDS,
            link=_linker(status, source, refresh),
            short_class=short_class,
            hop_tone=hop_tone,
            error_gist=error_gist,
            pretty=pretty,
            token=token,
            product_path=PRODUCT_PATH,
        )

    @pages.get("/messages/hop/<int:hop_id>")
    def message(hop_id: int) -> str:
        hop = find_hop(engine, hop_id)
        if hop is None:
            abort(404)
        return render_template("viewer/message.html", hop=hop, pretty=pretty)

    return pages


def _selected(engine: Engine, sessions: list[Any], wanted: int | None) -> SelectedSession | None:
    """The session asked for, else the newest listed one."""
    if wanted is None:
        if not sessions:
            return None
        wanted = sessions[0].id
    status = next((row.status for row in sessions if row.id == wanted), None)
    if status is None:
        found = find_sessions(engine, 1, session_id=wanted)
        if not found:
            return None
        status = found[0].status
    return SelectedSession(
        wanted,
        status,
        session_hops(engine, wanted),
        resent_as(engine, wanted),
        resend_of(engine, wanted),
    )


def _refresh_seconds(value: str | None) -> int:
    try:
        seconds = int(value) if value is not None else DEFAULT_REFRESH_SECONDS
    except ValueError:
        seconds = DEFAULT_REFRESH_SECONDS
    return min(max(seconds, 0), 3600)


def _linker(status: str, source: str, refresh: int) -> Callable[..., str]:
    """url_for('messages') keeping the current filters, with some parameters changed."""

    def link(**changes: Any) -> str:
        params: dict[str, Any] = {"status": status, "source": source, "refresh": refresh}
        params.update(changes)
        kept = {name: value for name, value in params.items() if value not in ("", None)}
        return url_for("local_pages.messages", **kept)

    return link
