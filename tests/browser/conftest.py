"""The browser tests' page: one tab of a fresh headless Chromium."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.browser.chromium import chromium_page, require_browser


@pytest.fixture
def page() -> Iterator[Page]:
    require_browser()
    with chromium_page() as page:
        yield page
