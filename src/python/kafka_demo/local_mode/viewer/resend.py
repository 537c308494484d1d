"""Resend over HTTP: the /messages page's Resend button, and `kafka-demo replay` through a
running instance (POST /messages/replay).

The local twin of the Message Viewer's Resend. While `kafka-demo local` runs it resends
through its own production, as IRIS resends through the running production; the work itself
is the production's (kafka_demo.local_mode.iris.resend), which `kafka-demo replay` without a
running instance calls as well.

The endpoints take requests from the page itself only: each carries the running
instance's token (embedded in the page, and in the claim file that `replay`
reads), the Host is a loopback name, and a browser's Origin, when sent, must be this
server's own. Another web site open in the same browser can neither read the token
nor pass the Origin check.
"""

import hmac
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from sqlalchemy import Engine

from kafka_demo.local_mode.instances import (
    RunningInstance,
    adopt_orphans,
    owner_of,
    running_instances,
)
from kafka_demo.local_mode.iris.resend import replay_failed, resend
from kafka_demo.local_mode.trace.queries import resendable, session_hops
from kafka_demo.local_mode.viewer import TOKEN_HEADER

TOKEN_FIELD = "token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""The names `kafka-demo local`'s server (bound to 127.0.0.1) is reached by from this machine."""
NOT_FROM_THE_PAGE = "resend refused: the request did not come from this instance's /messages page"


def resend_blueprint(
    engine: Engine,
    production: Callable[[], Any],
    token: str,
    flush: Callable[[], None],
    owner: int | None = None,
) -> Blueprint:
    """POST /messages/resend (the page's button) and POST /messages/replay (`kafka-demo
    replay`), resending through the running `production()`; `flush` writes the trace.

    With an `owner` (an instance on a database several productions share), both touch only
    its own sessions and those it adopts from instances no longer running: another running
    instance's work is its own to resend (kafka_demo.local_mode.instances)."""
    pages = Blueprint("local_resend", __name__)

    @pages.post("/messages/resend")
    def resend_session() -> Any:
        if not _from_the_page(token):
            return jsonify(error=NOT_FROM_THE_PAGE), 403
        session_id = request.form.get("session", type=int)
        hops = session_hops(engine, session_id) if session_id is not None else []
        if not resendable(hops):
            return jsonify(error=f"session {session_id} has no failed Kafka input to resend"), 409
        assert session_id is not None  # hops were found for it
        other = _running_owner(engine, owner, session_id)
        if other is not None:
            return jsonify(
                error=f"session {session_id} belongs to the running {other.describe()};"
                " resend it there"
            ), 409
        running = production()
        if running is None:
            return jsonify(error="the production is not running yet; try again"), 503
        outcome = resend(running, engine, hops[0])
        flush()
        if request.form.get("reply") == "json":
            return jsonify(outcome.as_dict()), 200
        shown = outcome.resent_as if outcome.resent_as is not None else session_id
        return redirect(url_for("local_pages.messages", session=shown, refresh=0), code=303)

    @pages.post("/messages/replay")
    def replay_all() -> tuple[Response, int]:
        if not _from_the_page(token):
            return jsonify(error=NOT_FROM_THE_PAGE), 403
        running = production()
        if running is None:
            return jsonify(error="the production is not running yet; try again"), 503
        outcomes = replay_failed(running, engine, owner)
        flush()
        return jsonify(resent=[outcome.as_dict() for outcome in outcomes]), 200

    return pages


def _running_owner(engine: Engine, owner: int | None, session_id: int) -> RunningInstance | None:
    """The other running instance that owns `session_id`, or None when this one may resend it
    (its own, or adopted now from an instance no longer running)."""
    if owner is None:
        return None
    if owner_of(engine, session_id) not in (None, owner):
        adopt_orphans(engine, owner)
    holder = owner_of(engine, session_id)
    if holder in (None, owner):
        return None
    return next((one for one in running_instances(engine) if one.id == holder), None)


def _from_the_page(token: str) -> bool:
    """The request carries this instance's token, and a browser sent it from this origin."""
    given = request.form.get(TOKEN_FIELD) or request.headers.get(TOKEN_HEADER) or ""
    if not (token and hmac.compare_digest(given.encode(), token.encode())):
        return False
    if request.host.rsplit(":", 1)[0] not in LOOPBACK_NAMES:
        return False  # a page of another name resolving here (DNS rebinding)
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        return False
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
