"""Headless Chromium from the Debian packages, driven by Playwright without a browser download.

Shared by the browser tests and misc/scripts/screenshot.py. The flags keep the browser
off the network (no updates, no sync, no QUIC) and give it a fresh profile.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path(os.environ.get("KAFKA_DEMO_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "apt-get install chromium (./misc/scripts/test.sh does it when run as root with apt), "
    "or point KAFKA_DEMO_CHROMIUM at a Chromium binary"
)


def missing_browser() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM}: {INSTALL_HINT}"
    return None


@contextmanager
def chromium_page(width: int = 1400, height: int = 900) -> Iterator[Page]:
    """A page of a new headless Chromium with a profile of its own, removed afterwards."""
    reason = missing_browser()
    if reason:
        raise FileNotFoundError(reason)
    profile = tempfile.mkdtemp(prefix="kafka-demo-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=FLAGS,
                viewport={"width": width, "height": height},
            )
            try:
                yield context.pages[0] if context.pages else context.new_page()
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def require_browser() -> None:
    """A missing browser fails the test: skipping would report a check that never ran.

    Outside CI, KAFKA_DEMO_BROWSER=skip turns that into a skip, knowingly.
    """
    reason = missing_browser()
    if reason is None:
        return
    if os.environ.get("KAFKA_DEMO_BROWSER") == "skip" and not os.environ.get("CI"):
        pytest.skip(reason)
    pytest.fail(f"{reason} (outside CI, KAFKA_DEMO_BROWSER=skip skips this test)")
