"""A screenshot of the demo's dashboard, for docs/adoption.md.

    .venv/bin/python scripts/dashboard_screenshot.py [--output docs/images/dashboard.png]

The demo service (examples/gitops) in a fresh folder, served by uvicorn on a loopback port, its
first ingest (and history walk) done, photographed by Debian's Chromium through Playwright.
Only the demo's real figures: its repository's one commit, no pull request, no action call.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from catalog_service.demo import prepare_demo
from catalog_service.http.app import app_services, create_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "images" / "dashboard.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dashboard-screenshot-") as folder:
        app = create_app(prepare_demo(Path(folder) / "demo"), poll=False)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise SystemExit("uvicorn did not start")
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            asyncio.run(app_services(app).refresher.refresh())
            with sync_playwright() as playwright:
                context = playwright.chromium.launch_persistent_context(
                    str(Path(folder) / "chromium-profile"),
                    executable_path=args.chromium,
                    args=CHROMIUM_ARGS,
                    headless=True,
                    viewport={"width": 1280, "height": 900},
                )
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}/dashboard?period=30d")
                args.output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.output), full_page=True)
                context.close()
        finally:
            server.should_exit = True
            thread.join()
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
