"""A service over a repository and database with known figures, as the dashboard tests use it.

Today is 2026-03-31 (the route's ``today`` is overridden). The repository: two services on
January 10th; a third service, a vendor application and a broken file on March 15th. The
database: four merged manifest pull requests (one in January; in March two autonomous and one by
the platform team, all in the week of March 16th) and three action calls (February 10th, March
18th and March 25th).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient

from catalog_service.db import audit, pull_requests
from catalog_service.db.audit import Outcome
from catalog_service.http.app import app_services, create_app
from catalog_service.http.routes.dashboard import today
from catalog_service.service import Services
from tests.adoption.support import commit_at, vendor_yaml
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory

TODAY = dt.date(2026, 3, 31)
BROKEN = "apiVersion: idp/v1alpha1\nkind: Application\nmetadata:\n  name: Not_A_Label\n"
# (number, merged on, autonomous)
PULL_REQUESTS = (
    (1, "2026-01-12", True),
    (2, "2026-03-16", True),
    (3, "2026-03-17", True),
    (4, "2026-03-20", False),
)
ACTIONS: tuple[tuple[str, str, Outcome], ...] = (
    ("2026-02-10", "create-application", "rejected"),
    ("2026-03-18", "create-application", "succeeded"),
    ("2026-03-25", "promote-image", "failed"),
)


def known_repository(gitops: GitOpsRepo) -> None:
    gitops.add_application("cart", system="shop")
    gitops.add_application("web", system="shop")
    commit_at(gitops, "2026-01-10T10:00:00Z")
    gitops.add_application("ledger", system="payments")
    gitops.write("apps/platform/vault.yaml", vendor_yaml("vault", system="platform"))
    gitops.write("apps/broken.yaml", BROKEN)
    commit_at(gitops, "2026-03-15T10:00:00Z")
    gitops.push()


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")


def seed(services: Services, *, known_data: bool) -> None:
    """The first ingest (and so the history walk), then the known database rows."""

    # In a thread of its own: the caller's thread may run an event loop already (Playwright's).
    async def first_ingest() -> None:
        await services.refresher.refresh()
        await services.refresher.settled()  # the history is walked after the refresh answers

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, first_ingest()).result()
    if not known_data:
        return
    with services.database.session() as session:
        for number, day, autonomous in PULL_REQUESTS:
            pull_requests.record_if_absent(
                session,
                repository="acme/gitops",
                number=number,
                title=f"Change {number}",
                author=f"dev{number}",
                merged_at=_at(day),
                paths=["apps/shop/cart.yaml"],
                autonomous=autonomous,
                approved_by_platform=False,
            )
        for day, action, outcome in ACTIONS:
            audit.add(
                session,
                actor="dev1",
                action=action,
                inputs={},
                dry_run=False,
                outcome=outcome,
                duration_seconds=0.1,
                created_at=_at(day),
            )


def dashboard_app(make_settings: SettingsFactory, *, web_url: str | None = None) -> FastAPI:
    """The real app, not polling (the tests ingest when they choose), today fixed."""
    overrides = {"source": {"webUrl": web_url}} if web_url else {}
    app = create_app(make_settings(**overrides), poll=False)
    app.dependency_overrides[today] = lambda: TODAY
    return app


@contextmanager
def dashboard_client(
    make_settings: SettingsFactory, *, known_data: bool = True, web_url: str | None = None
) -> Iterator[TestClient]:
    app = dashboard_app(make_settings, web_url=web_url)
    with TestClient(app) as client:
        seed(app_services(app), known_data=known_data)
        yield client
