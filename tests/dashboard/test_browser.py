"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against a real
uvicorn server of the real app. Screenshots land in the test's tmp folder; the one in the docs is
taken of the demo by ``scripts/dashboard_screenshot.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from catalog_service.http.app import app_services
from tests.dashboard.support import dashboard_app, known_repository, seed
from tests.support.browser import chromium_page
from tests.support.repos import GitOpsRepo
from tests.support.servers import uvicorn_server
from tests.support.settings import SettingsFactory


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    # A fresh profile for each test; a laptop's width.
    with chromium_page(tmp_path / "chromium-profile", width=1366) as page:
        yield page


def headline(page: Page, key: str) -> str:
    return page.locator(f"#h-{key} dd").inner_text()


def test_the_dashboard_in_a_browser(
    gitops: GitOpsRepo, make_settings: SettingsFactory, page: Page, tmp_path: Path
) -> None:
    known_repository(gitops)
    app = dashboard_app(make_settings, web_url="https://github.com/acme/gitops")
    with uvicorn_server(app) as base:
        seed(app_services(app), known_data=True)
        page.goto(f"{base}/dashboard")
        assert page.title() == "Platform adoption"
        assert [headline(page, key) for key in ("applications", "systems", "invalid")] == [
            "4",
            "3",
            "1",
        ]
        assert headline(page, "autonomous") == "67%"
        assert headline(page, "actions") == "2"
        assert page.locator("#chart-manifests .mark").count() == 28
        assert page.locator("#chart-pull-requests .mark").count() == 3
        assert page.locator("#chart-actions .mark").count() == 3
        # Drawn, not just present: each chart takes room on the page.
        for chart in ("manifests", "pull-requests", "actions"):
            box = page.locator(f"#chart-{chart}").bounding_box()
            assert box is not None and box["width"] > 400 and box["height"] > 100
        screenshot = tmp_path / "dashboard.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 10_000
        # The period selector is a plain link.
        page.click("text=30 days")
        assert page.url.endswith("/dashboard?period=30d")
        assert page.locator("#chart-manifests .mark").count() == 60


def test_an_empty_repository_in_a_browser(
    gitops: GitOpsRepo, make_settings: SettingsFactory, page: Page, tmp_path: Path
) -> None:
    gitops.commit("Empty")
    app = dashboard_app(make_settings)
    with uvicorn_server(app) as base:
        seed(app_services(app), known_data=False)
        page.goto(f"{base}/dashboard")
        assert page.locator("#first-day").is_visible()
        assert page.locator("svg").count() == 0
        assert headline(page, "applications") == "0"
        assert page.locator(".empty").count() == 3
        screenshot = tmp_path / "dashboard-empty.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 5_000
