"""Makes docs/messages.png, the README's picture of /messages, with the browser test's code.

Starts a `kafka-demo local` of its own in a temporary folder, feeds it the
browser test's inputs (stored, refused, dead-lettered, failed), and shows one
session's trace in headless Chromium, with the body of its marked message (a dead
letter, an error) open as a click shows it. Run it from the project's venv:
`.venv/bin/python misc/scripts/screenshot.py [--session-status Error] [--out docs/messages.png]`.
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.browser.chromium import chromium_page  # noqa: E402
from tests.browser.scenario import feed  # noqa: E402
from tests.support.local_process import LocalProcess  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "messages.png")
    parser.add_argument(
        "--session-status",
        default="Dead-lettered",
        help="show the trace of the newest session of this status (default Dead-lettered)",
    )
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kafka-demo-screenshot-") as folder:
        db_path = Path(folder) / "kafka_demo.db"
        local = LocalProcess(f"sqlite:///{db_path}", Path(folder) / "local.log")
        local.start()
        try:
            feed(local, db_path)
            with chromium_page(args.width, args.height) as page:
                page.goto(f"{local.url}/messages?refresh=0")
                page.locator(f'tr.session[data-status="{args.session_status}"] a').first.click()
                page.wait_for_load_state()
                marked = page.locator(".hops details:not(.normal) summary")
                (marked.first if marked.count() else page.locator(".hops summary").last).click()
                page.screenshot(path=str(args.out), full_page=True)
        finally:
            local.stop()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
