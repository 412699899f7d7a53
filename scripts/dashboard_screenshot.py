"""A screenshot of the demo's dashboard, for docs/adoption.md.

    .venv/bin/python scripts/dashboard_screenshot.py [--output docs/images/dashboard.png]

The demo service (examples/gitops) in a fresh folder, served by uvicorn on a loopback port, its
first ingest (and history walk) done, photographed by Debian's Chromium through Playwright.
The demo's figures as a newcomer sees them at first start: its repository's history (months of
merged pull requests) and the few action calls the demo records (catalog_service/demo_story.py).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench.servers import uvicorn_thread
from catalog_service.demo import prepare_demo
from catalog_service.demo_story import tell_the_story
from catalog_service.http.app import app_services, create_app
from catalog_service.ingest.refresher import Refresher
from tests.support.browser import CHROMIUM, chromium_page

ROOT = Path(__file__).resolve().parent.parent


async def ingest_and_walk(refresher: Refresher) -> None:
    await refresher.refresh()
    await refresher.settled()  # the history walk follows the ingest, in the background


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "images" / "dashboard.png")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dashboard-screenshot-") as folder:
        settings = prepare_demo(Path(folder) / "demo")
        tell_the_story(settings)  # as `catalog-service demo` does at first start
        app = create_app(settings, poll=False)
        with uvicorn_thread(app) as base:
            asyncio.run(ingest_and_walk(app_services(app).refresher))
            profile = Path(folder) / "chromium-profile"
            with chromium_page(profile, width=1280, executable=args.chromium) as page:
                page.goto(f"{base}/dashboard?period=30d")
                args.output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.output), full_page=True)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
