"""Every console example of the docs is run against the demo and must print what the doc shows.

``UPDATE_DOCS=1 .venv/bin/pytest tests/docs`` writes the real outputs into the docs instead (only
the examples whose output differs beyond the varying values of tests/docs/console.py); review the
diff and commit it. How examples are marked and set up: tests/docs/console.py and demo.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.docs.demo import DemoSession
from tests.docs.examples import check_doc
from tests.support.settings import ROOT

DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
UPDATE = os.environ.get("UPDATE_DOCS") == "1"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_console_examples_print_what_the_doc_shows(doc: Path, tmp_path: Path) -> None:
    with DemoSession(tmp_path) as session:
        report = check_doc(doc, session, update=UPDATE)
    assert not report.mismatches or UPDATE, (
        f"{len(report.mismatches)} example(s) of {doc.name} print something else"
        " (UPDATE_DOCS=1 rewrites them):\n\n" + "\n\n".join(report.mismatches)
    )
