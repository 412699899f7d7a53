"""The dashboard's HTML, from the Jinja2 templates shipped in the package."""

from __future__ import annotations

import jinja2

from catalog_service.dashboard.view import PERIODS, Dashboard

# Templates only: building the environment once per process loads and compiles them once.
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("catalog_service.dashboard", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt name fails the render, not shows blank
    trim_blocks=True,
    lstrip_blocks=True,
)


def _percent(share: float | None) -> str:
    return "none yet" if share is None else f"{share:.0%}"


def _signed(number: int) -> str:
    return f"{number:+,}" if number else "0"


_ENVIRONMENT.filters["percent"] = _percent
_ENVIRONMENT.filters["signed"] = _signed


# Compiled at import, not on the first request (a first page would take some 100 ms more).
_TEMPLATE = _ENVIRONMENT.get_template("dashboard.html")


def render(dashboard: Dashboard, *, title: str) -> str:
    """The page; the charts' SVG goes in as is (``|safe``): charts.py escapes every text."""
    return _TEMPLATE.render(d=dashboard, periods=PERIODS, title=title)
