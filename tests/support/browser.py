"""Debian's Chromium, headless through Playwright: for the dashboard's browser test and its
screenshot script (scripts/dashboard_screenshot.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium_page(profile: Path, *, width: int, executable: str = CHROMIUM) -> Iterator[Page]:
    """A page of a Chromium started on the fresh profile folder ``profile``, 900 pixels high."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": width, "height": 900},
        )
        try:
            yield context.new_page()
        finally:
            context.close()
