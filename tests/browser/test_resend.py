"""/messages' Resend in a real headless Chromium: a failed Kafka input is sent again from the page,
and another web site open in the same browser cannot make it happen."""

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kafka_demo.defaults import TOPIC
from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.local_mode.claim import claim_path
from tests.browser.chromium import require_browser
from tests.browser.scenario import FAILS_IN_STORAGE, listed_sessions, refuse_in_storage
from tests.support.kafka import produce
from tests.support.local_process import LocalProcess, http


class Viewer:
    def __init__(self, local: LocalProcess, db_path: Path) -> None:
        self.url = local.url
        self.db_path = db_path
        self.token = json.loads(claim_path(local.db_url).read_text())["token"]

    def stored_names(self) -> list[str]:
        with sqlite3.connect(self.db_path) as connection:
            return [name for (name,) in connection.execute("SELECT name FROM product ORDER BY id")]


@pytest.fixture
def viewer(tmp_path: Path) -> Iterator[Viewer]:
    """A running instance with one Error session: a Kafka record its storage refused, which
    storage accepts again now."""
    require_browser()
    db_path = tmp_path / "kafka_demo.db"
    local = LocalProcess(f"sqlite:///{db_path}", tmp_path / "local.log")
    local.start()
    try:
        assert http("POST", f"{local.url}/kafka", {"name": "made the table", "price": 1})[0] == 200
        refuse_in_storage(db_path)
        produce(local.bootstrap, TOPIC, [f'{{"name": "{FAILS_IN_STORAGE}", "price": 3}}'.encode()])
        deadline = time.monotonic() + 60
        while "Error" not in listed_sessions(local.url):
            assert time.monotonic() < deadline, listed_sessions(local.url)
            time.sleep(0.3)
        with sqlite3.connect(db_path) as connection:
            connection.execute("DROP TRIGGER refuse_row")
        yield Viewer(local, db_path)
    finally:
        local.kill()


@pytest.fixture
def other_site() -> Iterator[tuple[str, dict[str, str]]]:
    """Another web site on this machine (another origin), serving the pages put in the dict."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


def test_the_resend_button_sends_a_failed_input_again_once(viewer: Viewer, page: Page) -> None:
    page.goto(f"{viewer.url}/messages?refresh=0&status=Error")
    expect(page.locator("form.resend button")).to_have_text("Resend")
    page.locator("form.resend button").click()
    page.wait_for_url("**/messages?session=*")

    assert viewer.stored_names() == ["made the table", FAILS_IN_STORAGE]
    assert "Error" not in listed_sessions(viewer.url)
    assert "Resent" in listed_sessions(viewer.url)
    page.goto(f"{viewer.url}/messages?refresh=0&status=Resent")
    expect(page.locator("tr.session .status")).to_have_text(["Resent"])
    expect(page.locator("form.resend")).to_have_count(0)  # nothing left to resend


def test_a_completed_session_offers_no_resend(viewer: Viewer, page: Page) -> None:
    page.goto(f"{viewer.url}/messages?refresh=0&status=Completed")
    expect(page.locator("tr.session")).to_have_count(1)
    expect(page.locator("form.resend")).to_have_count(0)


def test_another_site_cannot_resend_even_knowing_the_token(
    viewer: Viewer, page: Page, other_site: tuple[str, dict[str, str]]
) -> None:
    site, pages = other_site
    page.goto(f"{viewer.url}/messages?refresh=0&status=Error")
    error_session = int(page.locator("tr.session").first.get_attribute("data-session") or 0)
    pages["/form"] = (
        f'<form id="f" method="post" action="{viewer.url}/messages/resend">'
        f'<input name="session" value="{error_session}">'
        f'<input name="token" value="{viewer.token}"></form>'
        '<script>document.getElementById("f").submit()</script>'
    )
    pages["/fetch"] = "<p>fetch</p>"

    page.goto(f"{site}/form")  # a cross-site form post, submitted as soon as the page loads
    page.wait_for_url(f"{viewer.url}/messages/resend")
    refused = json.loads(page.locator("body").inner_text())
    assert refused == {
        "error": "resend refused: the request did not come from this instance's /messages page"
    }

    page.goto(f"{site}/fetch")
    status = page.evaluate(
        """async ([url, session, token]) => {
            const body = new URLSearchParams({session: String(session), token});
            try {
                const reply = await fetch(url, {method: "POST", body, mode: "no-cors"});
                return reply.status;
            } catch (error) { return String(error); }
        }""",
        [f"{viewer.url}/messages/resend", error_session, viewer.token],
    )
    assert status == 0  # opaque to the other site, and refused by the server:
    time.sleep(1)
    assert viewer.stored_names() == ["made the table"]
    assert "Error" in listed_sessions(viewer.url)
