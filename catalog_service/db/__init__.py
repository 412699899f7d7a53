"""The database (docs/architecture.md §6.6): engine, models, migrations, one repository module
per record.

SQLAlchemy stays in this package; ``catalog_service.domain`` never imports it.
"""

from catalog_service.db import adoption, audit, pull_requests, state, webhook_deliveries
from catalog_service.db.engine import Database, create_engine, redact
from catalog_service.db.migrate import upgrade

__all__ = [
    "Database",
    "adoption",
    "audit",
    "create_engine",
    "pull_requests",
    "redact",
    "state",
    "upgrade",
    "webhook_deliveries",
]
