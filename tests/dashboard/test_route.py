"""``GET /dashboard`` and the adoption history wired into the real app."""

from __future__ import annotations

import re

from catalog_service.dashboard.view import MAX_PROBLEMS
from tests.dashboard.support import dashboard_client, known_repository
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory


def headline(html: str, key: str) -> str:
    match = re.search(rf'id="h-{key}".*?<dd>(.*?)</dd>', html, re.DOTALL)
    assert match is not None, key
    return match.group(1)


def chart(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', html, re.DOTALL)
    assert match is not None, chart_id
    return match.group(0)


def test_the_first_ingest_walks_the_history(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    known_repository(gitops)
    with dashboard_client(make_settings, known_data=False) as client:
        response = client.get("/api/v1/adoption?from=2026-01-09&to=2026-03-16&bucket=month")
    assert response.status_code == 200, response.text
    assert [(b["start"], b["total"], b["byType"]) for b in response.json()["manifests"]] == [
        ("2026-01-01", 2, {"service": 2}),
        ("2026-02-01", 2, {"service": 2}),
        ("2026-03-01", 4, {"service": 3, "vendor": 1}),
    ]


def test_headline_figures_charts_problems_and_audit(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    known_repository(gitops)
    web = "https://github.com/acme/gitops"
    with dashboard_client(make_settings, web_url=web) as client:
        response = client.get("/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert headline(html, "applications") == "4"
    assert headline(html, "systems") == "3"  # shop, payments, platform
    assert headline(html, "manifests-added") == "+2"  # 2 on March 1st, 4 now
    assert headline(html, "autonomous") == "67%"  # 2 of the 3 merged in March
    assert headline(html, "actions") == "2"  # March 18th and 25th
    assert headline(html, "invalid") == "1"
    assert "first-day" not in html and "<script" not in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing remote
    # 90 days from January 1st: 14 weeks (from Monday December 29th), two types.
    manifests = chart(html, "chart-manifests")
    assert manifests.count('class="mark"') == 2 * 14
    assert '<title id="chart-manifests-title">' in manifests and "<desc" in manifests
    assert chart(html, "chart-pull-requests").count('class="mark"') == 3
    assert chart(html, "chart-actions").count('class="mark"') == 3
    assert f'href="{web}/blob/main/apps/broken.yaml#L4"' in html
    assert html.count('<tr class="succeeded">') == 1 and html.count('<tr class="failed">') == 1


def test_the_period_sets_the_charts_range(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    known_repository(gitops)
    with dashboard_client(make_settings) as client:
        month = client.get("/dashboard?period=30d").text
        year = client.get("/dashboard?period=1y").text
        wrong = client.get("/dashboard?period=2y")
    # 30 days: a point per day per type; the January pull request and the February call are out.
    assert chart(month, "chart-manifests").count('class="mark"') == 2 * 30
    assert chart(month, "chart-pull-requests").count('class="mark"') == 2
    assert chart(month, "chart-actions").count('class="mark"') == 2
    assert '<strong aria-current="page">30 days</strong>' in month
    assert 'href="?period=1y"' in month
    # A year from April 1st 2025: 53 weeks.
    assert chart(year, "chart-manifests").count('class="mark"') == 2 * 53
    assert chart(year, "chart-actions").count('class="mark"') == 3
    assert headline(year, "actions") == "2"  # the headline stays on the last 30 days
    assert wrong.status_code == 422


def test_an_empty_repository_shows_day_one(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    gitops.commit("Empty")
    with dashboard_client(make_settings, known_data=False) as client:
        html = client.get("/dashboard").text
    assert 'id="first-day"' in html
    assert "<svg" not in html
    assert html.count("Nothing recorded in this period yet.") == 3
    assert headline(html, "applications") == "0"
    assert headline(html, "autonomous") == "none yet"
    assert "None: every manifest is valid." in html


def test_many_problems_are_cut_short(gitops: GitOpsRepo, make_settings: SettingsFactory) -> None:
    for index in range(MAX_PROBLEMS + 5):
        gitops.write(f"apps/broken-{index:03}.yaml", "kind: [\n")
    gitops.commit()
    with dashboard_client(make_settings, known_data=False) as client:
        html = client.get("/dashboard").text
    assert html.count("<code>apps/broken-") == MAX_PROBLEMS  # a local repository: no link
    assert "And 5 more" in html
    assert headline(html, "invalid") == str(MAX_PROBLEMS + 5)
