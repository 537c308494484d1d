"""/messages in a real headless Chromium, against a running `kafka-demo local`: what one sees."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chromium import require_browser
from tests.browser.scenario import (
    HOSTILE_NAME,
    SESSIONS,
    VALID_HTTP,
    feed,
)
from tests.support.local_process import LocalProcess, http

RED = "rgb(198, 40, 40)"
KAFKA = "a Kafka consumer"
"""KafkaDemoBS or EnsLib.Kafka.Service: the group's two consumers share the topic's records."""
KAFKA_CONSUMERS = {"Python.KafkaDemoBS", "EnsLib.Kafka.Service"}


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    folder = tmp_path_factory.mktemp("viewer")
    db_path = folder / "kafka_demo.db"
    local = LocalProcess(f"sqlite:///{db_path}", folder / "local.log")
    local.start()
    try:
        feed(local, db_path)
        yield local.url
    finally:
        local.kill()


def session_rows(page: Page) -> list[tuple[str, str]]:
    """The list as shown: (source, status) per row, top to bottom; a Kafka consumer as KAFKA."""
    rows = page.locator("tr.session")
    shown = [
        (rows.nth(i).locator("td").nth(2).inner_text(), rows.nth(i).locator(".status").inner_text())
        for i in range(rows.count())
    ]
    return [(KAFKA if source in KAFKA_CONSUMERS else source, status) for source, status in shown]


def filter_by(page: Page, status: str = "", source: str = "") -> None:
    page.select_option("select[name=status]", status)
    page.select_option("select[name=source]", source)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_every_session_is_listed_with_its_source_and_status(viewer: str, page: Page) -> None:
    page.goto(f"{viewer}/messages?refresh=0")
    rows = session_rows(page)
    assert sorted(rows) == sorted(
        [
            ("Python.KafkaRestBS", "Completed"),
            ("HTTP client", "Rejected"),
            (KAFKA, "Completed"),
            (KAFKA, "Dead-lettered"),
            (KAFKA, "Dead-lettered"),
            (KAFKA, "Error"),
        ]
    )
    ids = [
        int(i)
        for i in page.locator("tr.session").evaluate_all(
            "rows => rows.map(row => row.dataset.session)"
        )
    ]
    assert ids == sorted(ids, reverse=True)
    assert (
        page.locator(".status.Error").first.evaluate(
            "badge => getComputedStyle(badge).backgroundColor"
        )
        == RED
    )


def test_a_stored_request_shows_its_arrows_solid_and_dashed(viewer: str, page: Page) -> None:
    page.goto(f"{viewer}/messages?refresh=0")
    filter_by(page, source="Python.KafkaRestBS")
    assert session_rows(page) == [("Python.KafkaRestBS", "Completed")]
    svg = page.locator("svg.trace")
    expect(svg).to_be_visible()
    assert svg.locator("g.item text").all_text_contents() == [
        "Python.KafkaRestBS",
        "Python.KafkaDemoBP",
        "Python.LocalStorageBO",
    ]
    arrows = svg.locator("g.hop")
    assert arrows.count() == 4
    labels = [arrows.nth(i).locator("text").first.text_content() for i in range(4)]
    assert labels[0] == "1. KafkaRawMessage"
    assert labels[1] in (
        "2. ProductSQLMessage",
        "2. ProductSQLAlchemyMessage",
        "2. ProductIRISMessage",
    )
    assert labels[2:] == ["3. ProductStored", "4. ProductStored"]
    dashes = arrows.locator("path.line").evaluate_all(
        "paths => paths.map(p => getComputedStyle(p).strokeDasharray)"
    )
    assert [dash != "none" for dash in dashes] == [False, False, True, True]
    for i in range(4):
        box = arrows.nth(i).locator("path.line").bounding_box()
        assert box is not None and box["width"] > 100  # drawn between two lifelines


def test_an_error_is_drawn_red_with_its_cause(viewer: str, page: Page) -> None:
    page.goto(f"{viewer}/messages?refresh=0")
    filter_by(page, status="Error")
    assert session_rows(page) == [(KAFKA, "Error")]
    failed = page.locator("svg.trace g.hop.error")
    assert failed.count() == 2  # BS -> BP, and BP -> LocalStorageBO where it failed
    strokes = failed.locator("path.line").evaluate_all(
        "paths => paths.map(p => getComputedStyle(p).stroke)"
    )
    assert strokes == [RED, RED]
    note = failed.last.locator("text.note")
    expect(note).to_be_visible()
    # The cause as the route's storage words it (SQLite's message, or IRIS's %Status text).
    assert re.fullmatch(r"\u2716 Error: \w+Error - .+", note.text_content() or "")
    expect(page.locator(".hops details.hop.error summary .status")).to_have_text(["Error", "Error"])
    assert note.evaluate("t => getComputedStyle(t).fill") == RED


def test_dead_letters_and_refusals_are_marked(viewer: str, page: Page) -> None:
    page.goto(f"{viewer}/messages?refresh=0")
    filter_by(page, status="Dead-lettered")
    assert session_rows(page) == [(KAFKA, "Dead-lettered")] * 2
    dead_letter = page.locator("svg.trace g.hop.dead-letter")
    assert dead_letter.count() == 1
    expect(dead_letter.locator("text.note")).to_contain_text("Dead letter: ")

    filter_by(page, status="Rejected")
    assert session_rows(page) == [("HTTP client", "Rejected")]
    expect(page.locator("p.note")).to_contain_text("Refused by the REST door")
    refused = page.locator("svg.trace g.hop.rejected")
    expect(refused.locator("text.note")).to_have_text(
        "\u2298 Rejected: HTTP 400: price must not be negative"
    )
    page.locator(".hops summary").first.click()
    body = page.locator(".hops pre.body").first
    expect(body).to_be_visible()
    expect(body).to_contain_text(HOSTILE_NAME.replace('"', '\\"'))
    assert page.evaluate("window.owned") is None  # shown as text, never run
    assert page.locator(".hops img").count() == 0


def test_a_body_shows_on_click_and_an_arrow_opens_its_message(viewer: str, page: Page) -> None:
    page.goto(f"{viewer}/messages?refresh=0")
    filter_by(page, source="Python.KafkaRestBS")
    second = page.locator(".hops details.hop").nth(1)
    body = second.locator("pre.body")
    expect(body).to_be_hidden()
    second.locator("summary").click()
    expect(body).to_be_visible()
    expect(body).to_contain_text(f'"name": "{VALID_HTTP["name"]}"')

    page.locator("svg.trace g.hop").nth(1).locator("text").first.click()
    page.wait_for_url("**/messages/hop/*")
    expect(page.locator("h1")).to_contain_text("Message ")
    expect(page.locator("pre.body")).to_contain_text(f'"name": "{VALID_HTTP["name"]}"')
    expect(page.locator("table.header")).to_contain_text("Python.LocalStorageBO")


def test_the_list_refreshes_itself_but_not_under_an_open_body(viewer: str, page: Page) -> None:
    page.goto(f"{viewer}/messages?refresh=1")
    page.locator(".hops summary").first.click()
    page.wait_for_timeout(2500)  # two refresh periods: an open body holds the page still
    expect(page.locator(".hops details").first).to_have_attribute("open", "")
    page.locator(".hops summary").first.click()  # closed: refreshing resumes

    assert http("POST", f"{viewer}/kafka", {"name": "new while watching", "price": 1})[0] == 200
    expect(page.locator("tr.session")).to_have_count(SESSIONS + 1, timeout=10_000)
