"""SQLAlchemy and Alembic stay in ``catalog_service.db``: the domain core never imports them."""

from __future__ import annotations

import ast
from pathlib import Path

import catalog_service.domain


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module)
    return roots


def test_the_domain_does_not_import_the_database() -> None:
    domain = Path(catalog_service.domain.__file__).parent
    files = sorted(domain.rglob("*.py"))
    assert files
    for path in files:
        for name in imported_roots(path):
            top = name.split(".")[0]
            assert top not in {"sqlalchemy", "alembic", "psycopg"}, f"{path} imports {name}"
            assert not name.startswith("catalog_service.db"), f"{path} imports {name}"
