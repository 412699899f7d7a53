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
from pathlib import Path

from bench.servers import uvicorn_thread
from catalog_service.demo import prepare_demo
from catalog_service.http.app import app_services, create_app
from tests.support.browser import CHROMIUM, chromium_page

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "images" / "dashboard.png")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dashboard-screenshot-") as folder:
        app = create_app(prepare_demo(Path(folder) / "demo"), poll=False)
        with uvicorn_thread(app) as base:
            asyncio.run(app_services(app).refresher.refresh())
            profile = Path(folder) / "chromium-profile"
            with chromium_page(profile, width=1280, executable=args.chromium) as page:
                page.goto(f"{base}/dashboard?period=30d")
                args.output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.output), full_page=True)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
