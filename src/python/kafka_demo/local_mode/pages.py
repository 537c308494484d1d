"""GET /messages while `kafka-demo local` runs: the local twin of the Message Viewer."""

from flask import Blueprint, render_template_string
from sqlalchemy import Engine

from kafka_demo.local_mode.sql_trace import last_sessions

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Messages - iris-kafka-demo (local)</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } .Error { background: #fde2e2; } code { font-size: .85rem; }
</style></head><body>
<h1>Messages</h1>
<p>The last {{ sessions|length }} sessions, newest first; each hop as IRIS's Message Viewer
would show it.</p>
{% for session in sessions|reverse %}
<h2>Session {{ session.id }}</h2>
<table><tr><th>#</th><th>Time (UTC)</th><th>Source</th><th>Target</th><th>Type</th>
<th>Message class</th><th>Status</th><th>Body / error</th></tr>
{% for hop in session.hops %}
<tr class="{{ hop.status }}"><td>{{ hop.id }}</td>
<td>{{ hop.time.strftime('%H:%M:%S.%f')[:-3] }}</td>
<td>{{ hop.source }}</td><td>{{ hop.target }}</td><td>{{ hop.kind }}</td>
<td>{{ hop.message_class }}</td><td>{{ hop.status }}</td>
<td><code>{{ hop.body }}</code>
{% if hop.error %}<br><strong>{{ hop.error }}</strong>{% endif %}</td></tr>
{% endfor %}</table>
{% else %}<p>No message yet.</p>{% endfor %}
</body></html>"""


def messages_blueprint(engine: Engine, last: int = 50) -> Blueprint:
    pages = Blueprint("local_pages", __name__)

    @pages.get("/messages")
    def messages() -> str:
        return render_template_string(_PAGE, sessions=last_sessions(engine, last))

    return pages
