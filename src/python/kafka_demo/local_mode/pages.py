"""GET /messages while `kafka-demo local` runs: the local twin of IRIS's Message Viewer.

A list of sessions (newest first, filtered by status and source item), the
selected session's visual trace as an SVG sequence diagram, and each message's
body. Server-rendered; Jinja escapes every text, so a hostile body stays text.
The page reloads itself every few seconds, unless a message body is open.
"""

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template_string,
    request,
    url_for,
)
from sqlalchemy import Engine

from kafka_demo.local_mode.resend import resendable
from kafka_demo.local_mode.sequence import error_gist, hop_tone, sequence_diagram, short_class
from kafka_demo.local_mode.sql_trace import (
    SESSION_STATUSES,
    find_hop,
    find_sessions,
    resent_as,
    session_hops,
    session_sources,
)
from kafka_demo.local_mode.trace import Hop, TraceSink
from kafka_demo.rest.contract import MAX_BODY_BYTES
from kafka_demo.rest.gateway import PRODUCT_PATH

MESSAGES_PATH = "/messages"
HTTP_CLIENT = "HTTP client"
REST_DOOR = "REST door"
DEFAULT_REFRESH_SECONDS = 5
_log = logging.getLogger(__name__)

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2733; background: #f4f6f9; }
header { background: #1f4e79; color: #fff; padding: .7rem 1.2rem; display: flex;
  align-items: center; gap: 1.5rem; flex-wrap: wrap; }
header h1 { font-size: 1.25rem; margin: 0; }
header .sub { opacity: .8; }
header a { color: #fff; }
form.filters { display: flex; gap: .8rem; align-items: center; margin-left: auto; }
form.filters select, form.filters button { font: inherit; padding: .15rem .3rem; }
main { display: grid; grid-template-columns: minmax(580px, 1fr) minmax(0, 1.2fr); gap: 1rem;
  padding: 1rem; align-items: start; }
section.sessions table { font-size: 13px; }
section.sessions td { white-space: nowrap; }
section { background: #fff; border: 1px solid #d5dbe3; border-radius: 6px; padding: .6rem .8rem;
  overflow-x: auto; }
h2 { font-size: 1.05rem; margin: .2rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .45rem; border-bottom: 1px solid #e6e9ee;
  vertical-align: top; }
th { font-weight: 600; color: #4a5868; background: #f7f9fb; }
tr.selected td { background: #e3eefb; }
td a { color: inherit; text-decoration: none; display: block; }
.status { display: inline-block; padding: 0 .45rem; border-radius: 9px; font-size: .85em;
  font-weight: 600; color: #fff; background: #2e7d32; white-space: nowrap; }
.status.Error { background: #c62828; } .status.Rejected { background: #e65100; }
.status.Dead-lettered { background: #6a1b9a; } .status.Resent { background: #607d8b; }
.status.Delivered { background: #90a4ae; }
.note { background: #fff3e0; border-left: 4px solid #e65100; padding: .3rem .6rem; }
.empty { color: #6b7785; }
svg.trace { display: block; margin: .4rem 0 1rem; overflow: visible; }
svg.trace text { font: 12px system-ui, sans-serif; }
svg.trace .item text { font-weight: 600; }
svg.trace a:hover path.line, svg.trace a:hover polygon { stroke-width: 3; }
.hops .row { display: grid; gap: .5rem; padding: .3rem .45rem; border-bottom: 1px solid #e6e9ee;
  grid-template-columns: 1.2rem 6.2rem minmax(9rem, 1fr) 4.6rem minmax(9rem, 1fr) 6rem; }
.hops .head { font-weight: 600; color: #4a5868; background: #f7f9fb; }
.hops summary { cursor: pointer; list-style: none; }
.hops summary:hover { background: #f2f6fb; }
.hops summary .class { color: #1f4e79; text-decoration: underline dotted; white-space: nowrap; }
.hops summary .class::before { content: "\\25B8  "; }
.hops details[open] summary .class::before { content: "\\25BE  "; }
.hops .gist { grid-column: 3 / -1; }
.hops .message { padding: .2rem .45rem .6rem 1.7rem; border-bottom: 1px solid #e6e9ee; }
pre { background: #f7f9fb; border: 1px solid #e6e9ee; padding: .4rem; margin: .3rem 0;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.error-text { color: #c62828; }
form.resend { margin: 0 0 .6rem; }
form.resend button { font: inherit; font-weight: 600; color: #fff; background: #1f4e79;
  border: 0; border-radius: 4px; padding: .2rem .8rem; cursor: pointer; }
"""

_VIEWER = (
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Messages - iris-kafka-demo (local)</title>
<style>"""
    + _STYLE
    + """</style></head><body>
<header><h1>Messages</h1>
<span class="sub">local twin of IRIS's Message Viewer</span>
<form class="filters" method="get" action="{{ url_for('local_pages.messages') }}">
<label>Status <select name="status"><option value="">all</option>
{% for choice in statuses %}
<option{% if choice == status_filter %} selected{% endif %}>{{ choice }}</option>{% endfor %}
</select></label>
<label>Source <select name="source"><option value="">all</option>
{% for choice in sources %}
<option{% if choice == source_filter %} selected{% endif %}>{{ choice }}</option>{% endfor %}
</select></label>
<input type="hidden" name="refresh" value="{{ refresh }}">
<button type="submit">Filter</button>
{% if refresh %}<span>auto-refresh {{ refresh }} s
(<a href="{{ link(refresh=0) }}">pause</a>)</span>
{% else %}<span>auto-refresh off
(<a href="{{ link(refresh=default_refresh) }}">resume</a>)</span>{% endif %}
</form></header>
<main>
<section class="sessions"><h2>Sessions, newest first</h2>
{% if sessions %}<table><thead><tr><th title="Session">#</th><th>Time (UTC)</th><th>Source</th>
<th>Status</th><th>First message</th></tr></thead><tbody>
{% for row in sessions %}{% set href = link(session=row.id) %}
<tr class="session{% if selected and row.id == selected.id %} selected{% endif %}"
 data-session="{{ row.id }}" data-status="{{ row.status }}">
<td><a href="{{ href }}">{{ row.id }}</a></td>
<td title="{{ row.first.time.isoformat() }}"><a href="{{ href }}">
{{- row.first.time.strftime('%H:%M:%S.%f')[:-3] }}</a></td>
<td><a href="{{ href }}">{{ row.first.source }}</a></td>
<td><a href="{{ href }}"><span class="status {{ row.status }}">{{ row.status }}</span></a></td>
<td><a href="{{ href }}">{{ short_class(row.first.message_class) }}</a></td></tr>
{% endfor %}</tbody></table>
{% else %}<p class="empty">No session
{%- if status_filter or source_filter %} matches these filters{% endif %} yet.
POST a product to {{ product_path }}, or produce a record to the topic.</p>{% endif %}
</section>
<section class="trace">
{% if selected %}
<h2>Session {{ selected.id }} <span class="status {{ selected.status }}">
{{- selected.status }}</span></h2>
{% if token and selected.resendable %}<form class="resend" method="post"
 action="{{ url_for('local_resend.resend_session') }}">
<input type="hidden" name="session" value="{{ selected.id }}">
<input type="hidden" name="token" value="{{ token }}">
<button type="submit">Resend</button> its input to {{ selected.hops[0].target }},
as IRIS's Message Viewer resends a message through the running production.</form>{% endif %}
{% if selected.refused_at_door %}<p class="note">Refused by the REST door: the request
never entered the production, so IRIS's own viewer shows no such session.</p>{% endif %}
{% if selected.resent_as %}<p class="note resent">Resent as
<a href="{{ link(session=selected.resent_as) }}">session {{ selected.resent_as }}</a>.</p>
{% endif %}
{% set d = selected.diagram %}
<svg class="trace" xmlns="http://www.w3.org/2000/svg" width="{{ d.width }}"
 height="{{ d.height }}" viewBox="0 0 {{ d.width }} {{ d.height }}" role="img"
 aria-label="Visual trace of session {{ selected.id }}">
{% for line in d.lifelines %}<g class="item" data-item="{{ line.name }}">
<title>{{ line.name }}</title>
<line x1="{{ line.x }}" y1="40" x2="{{ line.x }}" y2="{{ d.lifeline_bottom }}"
 stroke="#9aa7b5" stroke-dasharray="2 4"/>
<rect x="{{ line.x - 95 }}" y="8" width="190" height="32" rx="5" fill="#e8eef6"
 stroke="#1f4e79"/>
<text x="{{ line.x }}" y="29" text-anchor="middle" fill="#1f4e79">{{ line.label }}</text></g>
{% endfor %}
{% for a in d.arrows %}<a href="{{ url_for('local_pages.message', hop_id=a.hop_id) }}">
<g class="hop {{ a.kind|lower }} {{ a.tone }}" data-hop="{{ a.hop_id }}">
<title>{{ a.title }}</title>
<path class="line" d="{{ a.path }}" fill="none" stroke="{{ a.colour }}" stroke-width="2"
{%- if a.dashed %} stroke-dasharray="6 4"{% endif %}/>
<polygon points="{{ a.head }}" fill="{{ a.colour }}" stroke="{{ a.colour }}"/>
<text x="{{ a.label_x }}" y="{{ a.y - 7 }}" text-anchor="{{ a.label_anchor }}"
 fill="{{ a.colour }}">{{ a.label }}</text>
{% if a.note %}<text class="note" x="{{ a.label_x }}" y="{{ a.y + 16 }}"
 text-anchor="{{ a.label_anchor }}" fill="{{ a.colour }}" font-weight="600">{{ a.note }}</text>
{% endif %}<path class="hit" d="{{ a.path }}" fill="none" stroke="transparent"
 stroke-width="14"/></g></a>
{% endfor %}</svg>
<div class="hops"><div class="row head"><span>#</span><span>Time (UTC)</span>
<span>From &rarr; to</span><span>Type</span><span>Message (click for its body)</span>
<span>Status</span></div>
{% for hop in selected.hops %}<details class="hop {{ hop_tone(hop) }}" data-hop="{{ hop.id }}">
<summary class="row"><span>{{ loop.index }}</span>
<span>{{ hop.time.strftime('%H:%M:%S.%f')[:-3] }}</span>
<span>{{ hop.source }} &rarr; {{ hop.target }}</span><span>{{ hop.kind }}</span>
<span class="class">{{ short_class(hop.message_class) }}</span>
<span><span class="status {{ hop.status }}">{{ hop.status }}</span></span>
{% if hop.error %}<span class="error-text gist">{{ error_gist(hop.error) }}</span>{% endif %}
</summary>
<div class="message"><pre class="body">{{ pretty(hop.body) }}</pre>
{% if hop.error %}<pre class="error-text">{{ hop.error }}</pre>{% endif %}
<a href="{{ url_for('local_pages.message', hop_id=hop.id) }}">open this message</a></div>
</details>
{% endfor %}</div>
{% else %}<p class="empty">Select a session to see its trace.</p>{% endif %}
</section></main>
{% if refresh %}<script>
setInterval(function () {
  if (!document.querySelector("details[open]")) { location.reload(); }
}, {{ refresh * 1000 }});
</script>{% endif %}
</body></html>"""
)

_MESSAGE = (
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Message {{ hop.id }} - iris-kafka-demo (local)</title>
<style>"""
    + _STYLE
    + """ main { display: block; } th { width: 9rem; }</style></head><body>
<header><h1>Message {{ hop.id }}</h1>
<a href="{{ url_for('local_pages.messages', session=hop.session_id, refresh=0) }}">
&larr; session {{ hop.session_id }}</a></header>
<main><section>
<table class="header">
<tr><th>Session</th><td>{{ hop.session_id }}</td></tr>
<tr><th>Time (UTC)</th><td>{{ hop.time.isoformat() }}</td></tr>
<tr><th>Source</th><td>{{ hop.source }}</td></tr>
<tr><th>Target</th><td>{{ hop.target }}</td></tr>
<tr><th>Type</th><td>{{ hop.kind }}</td></tr>
<tr><th>Message class</th><td>{{ hop.message_class }}</td></tr>
<tr><th>Status</th><td><span class="status {{ hop.status }}">{{ hop.status }}</span></td></tr>
{% if hop.error %}<tr><th>Error</th><td><pre class="error-text">{{ hop.error }}</pre></td></tr>
{% endif %}
</table>
<h2>Body</h2><pre class="body">{{ pretty(hop.body) }}</pre>
</section></main></body></html>"""
)


def pretty(body: str) -> str:
    """A JSON body indented for reading; any other text as it is."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


class SelectedSession:
    """The session whose trace is shown: its hops, its status and its diagram."""

    def __init__(
        self, session_id: int, status: str, hops: list[Hop], resent_as: int | None = None
    ) -> None:
        self.id = session_id
        self.status = status
        self.hops = hops
        self.resent_as = resent_as
        self.diagram = sequence_diagram(hops)
        self.refused_at_door = any(hop.target == REST_DOOR for hop in hops)
        self.resendable = resendable(hops)


def messages_blueprint(
    engine: Engine,
    trace_sink: Callable[[], TraceSink | None] = lambda: None,
    last: int = 50,
    token: str = "",
) -> Blueprint:
    """The viewer's pages, reading the trace in `engine`.

    `trace_sink` gives the running production's trace (None before it starts):
    the REST door's refusals are recorded there, so they are listed too. With the
    running instance's `token`, a failed Kafka input gets a Resend button
    (kafka_demo.local_mode.resend).
    """
    pages = Blueprint("local_pages", __name__)

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
        return render_template_string(
            _VIEWER,
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
        return render_template_string(_MESSAGE, hop=hop, pretty=pretty)

    @pages.before_app_request
    def keep_door_body() -> None:
        """Let the door's body be read twice (by the door, then to trace a refusal)."""
        if _is_door_request() and _body_is_small():
            request.get_data(cache=True)

    @pages.after_app_request
    def trace_door_refusal(response: Response) -> Response:
        if _is_door_request() and 400 <= response.status_code < 500:
            sink = trace_sink()
            if sink is not None:
                _record_refusal(sink, response)
        return response

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
    return SelectedSession(wanted, status, session_hops(engine, wanted), resent_as(engine, wanted))


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


def _is_door_request() -> bool:
    return request.method == "POST" and request.path == PRODUCT_PATH


def _body_is_small() -> bool:
    length = request.content_length
    return length is not None and length <= MAX_BODY_BYTES


def _record_refusal(sink: TraceSink, response: Response) -> None:
    """The door's refusal as a session of its own: the request, refused, and the answer.

    It never reaches the production (the door checks with the BP's rules first), so
    IRIS's viewer has no such session; the local viewer shows it so nothing is hidden.
    A trace that cannot be kept is logged; the client still gets its answer.
    """
    answer = response.get_data(as_text=True)
    try:
        reason = str(json.loads(answer).get("error", ""))
    except (ValueError, AttributeError):
        reason = answer
    body = request.get_data(cache=True) if _body_is_small() else b"(body not kept: too large)"
    try:
        session_id = sink.new_session()
        refused = sink.record(
            Hop(session_id, HTTP_CLIENT, REST_DOOR, "Request", f"POST {PRODUCT_PATH}", _text(body))
        )
        sink.finish(refused, "Rejected", f"HTTP {response.status_code}: {reason}")
        reply = sink.record(
            Hop(
                session_id,
                REST_DOOR,
                HTTP_CLIENT,
                "Response",
                f"HTTP {response.status_code} {HTTPStatus(response.status_code).phrase}",
                answer,
            )
        )
        sink.finish(reply, "Completed")
        sink.end_session(session_id)
    except Exception as error:
        _log.error("the REST door's refusal was not traced: %s", error)


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")
