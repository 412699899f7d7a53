"""The repository's Backstage app in Debian's Chromium: the payments-api entity page shows the
idp card with the demo's versions, and /idp its adoption figures, problems and audit log.

    bash scripts/backstage-browser-test.sh                 # builds the app first if needed
    SCREENSHOTS=1 bash scripts/backstage-browser-test.sh   # also docs/images/backstage-*.png
"""

from __future__ import annotations

import os

from playwright.sync_api import Page, expect

from .conftest import ROOT, Backstage, post_dry_run

IMAGES = ROOT / "docs" / "images"


def sign_in(page: Page, backstage: Backstage, path: str) -> None:
    page.goto(f"{backstage.url}{path}")
    guest = page.get_by_role("button", name="Enter")
    guest.wait_for()
    guest.click()


def settle(page: Page) -> None:
    """The pointer off the sidebar (which widens under it) and its animation done."""
    page.mouse.move(1390, 890)
    page.wait_for_timeout(1_000)


def test_the_card_on_payments_api(page: Page, backstage: Backstage) -> None:
    post_dry_run(backstage)
    sign_in(page, backstage, "/catalog/default/component/payments-api")
    card = page.locator(".MuiCard-root", has_text="Deployments")
    expect(card.get_by_test_id("idp-environment-dev")).to_contain_text("2.14.0")
    expect(card.get_by_test_id("idp-environment-staging")).to_contain_text("2.14.0")
    expect(card.get_by_test_id("idp-environment-prod")).to_contain_text("2.13.2")
    expect(card.get_by_role("button", name="Promote 2.14.0 from dev to staging")).to_be_visible()
    expect(card.get_by_role("button", name="Restart in dev")).to_be_visible()
    # The demo service has no Argo CD: the card says so, quietly, from the status endpoint.
    expect(card.get_by_test_id("idp-argocd-note")).to_contain_text("Argo CD is not configured")
    expect(card.get_by_test_id("audit-entry").first).to_contain_text("promote-image")
    if os.environ.get("SCREENSHOTS"):
        card.scroll_into_view_if_needed()
        settle(page)
        card.screenshot(path=str(IMAGES / "backstage-card.png"))


def test_the_idp_page(page: Page, backstage: Backstage) -> None:
    post_dry_run(backstage)
    sign_in(page, backstage, "/idp")
    expect(page.get_by_test_id("adoption-Applications")).not_to_have_text("0")
    expect(page.get_by_text("Manifest problems")).to_be_visible()
    expect(page.get_by_test_id("idp-problem").first).to_contain_text(
        "apps/payments/refund-worker.yaml:8:"
    )
    expect(page.get_by_test_id("audit-entry").first).to_contain_text("payments-api")
    if os.environ.get("SCREENSHOTS"):
        settle(page)
        page.screenshot(path=str(IMAGES / "backstage-page.png"), full_page=True)
