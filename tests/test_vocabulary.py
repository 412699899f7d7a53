"""The shared words (action names, outcomes, ingest statuses) are written once, in
catalog_service/vocabulary.py, and the API, the database and the metrics take them from there."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import CheckConstraint

import catalog_service
from catalog_service import metrics, vocabulary
from catalog_service.actions.service import ACTIONS
from catalog_service.db.models import AuditEntry, Base
from catalog_service.http.schemas import RefreshResponse

PACKAGE = Path(catalog_service.__file__).parent
# A list of two or more of these words, quoted, in a row: a second copy of the vocabulary.
LISTS = {
    "action names": re.compile(
        r'"(create-application|promote-image)",\s*"(create-application|promote-image)"'
    ),
    "action outcomes": re.compile(
        r'"(succeeded|failed|rejected)",\s*"(succeeded|failed|rejected)"'
    ),
    "ingest statuses": re.compile(
        r'"(applied|unchanged|held-back)",\s*"(applied|unchanged|held-back)"'
    ),
    "delivery outcomes": re.compile(
        r'"(processed|duplicate|ignored)",\s*"(duplicate|ignored|rejected)"'
    ),
}


def test_the_vocabulary_is_written_in_one_module() -> None:
    # The migrations are history: they keep the words as they were when written.
    files = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    assert len(files) > 50
    for path in files:
        if path.name == "vocabulary.py":
            continue
        text = path.read_text(encoding="utf-8")
        for what, pattern in LISTS.items():
            assert not pattern.search(text), f"{path} spells out the {what}: use vocabulary.py"


def test_the_api_the_database_and_the_metrics_use_it() -> None:
    assert ACTIONS == vocabulary.ACTION_NAMES
    assert metrics.KNOWN_ACTIONS == vocabulary.ACTION_NAMES
    assert metrics.ACTION_OUTCOMES == vocabulary.ACTION_OUTCOMES
    assert metrics.DELIVERY_OUTCOMES == vocabulary.COUNTED_DELIVERY_OUTCOMES
    table = Base.metadata.tables[AuditEntry.__tablename__]
    [check] = [c for c in table.constraints if str(c.name).endswith("outcome")]
    assert isinstance(check, CheckConstraint)
    assert all(f"'{outcome}'" in str(check.sqltext) for outcome in vocabulary.ACTION_OUTCOMES)
    status = RefreshResponse.model_json_schema()["properties"]["status"]
    assert tuple(status["enum"]) == vocabulary.INGEST_STATUSES
