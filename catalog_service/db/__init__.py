"""The database (DESIGN section 5a): engine, models, migrations, one repository module per record.

SQLAlchemy stays in this package; ``catalog_service.domain`` never imports it.
"""

from catalog_service.db.engine import Database, create_engine, redact
from catalog_service.db.migrate import upgrade

__all__ = ["Database", "create_engine", "redact", "upgrade"]
