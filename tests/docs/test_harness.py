"""The machinery that holds the docs' examples to the demo: it finds drift, ignores only what
varies, and rewrites a doc from real output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs import curl
from tests.docs.console import blocks, normalise, parse_commands
from tests.docs.demo import DemoSession
from tests.docs.examples import check_doc

READYZ = (
    '{"ready":true,"revision":"d67d07486652c0125bdea263e98811283d89db2b","entities":%d,'
    '"appliedAt":1795663474.1311523,"lastSuccessAt":1795663474.1311703,'
    '"secondsSinceLastSuccess":2.511,"lastError":null,"heldBack":null,'
    '"database":{"migrated":true,"error":null,"failingSince":null}}'
)


def test_normalise_replaces_only_the_values_that_vary() -> None:
    line = READYZ % 35
    assert normalise(line) == (
        '{"ready":true,"revision":"<revision>","entities":35,"appliedAt":<time>,'
        '"lastSuccessAt":<time>,"secondsSinceLastSuccess":<time>,"lastError":null,"heldBack":null,'
        '"database":{"migrated":true,"error":null,"failingSince":null}}'
    )
    assert normalise(READYZ % 36) != normalise(line)
    assert normalise('etag: "fe2f582186ae6077438c8e5f9af2b9ca"') == "etag: <etag>"
    log = (
        "2026-11-26 03:28:15,915 INFO catalog_service.ingest: catalog at 7960bd956085: 35 entities"
    )
    assert (
        normalise(log)
        == "<log-time> INFO catalog_service.ingest: catalog at <log-revision>: 35 entities"
    )
    # A revision outside the keys that hold one is not a varying value: it stays compared.
    assert normalise("git show 7960bd956085") == "git show 7960bd956085"
    audit = '            "time": "2026-11-26T10:23:39.678255Z",'
    assert normalise(audit) == '            "time": "<timestamp>",'
    assert normalise('"message": "2026-11-26T10:23:39Z"') == '"message": "2026-11-26T10:23:39Z"'


def test_console_lines_become_commands_with_their_output() -> None:
    commands = parse_commands(
        ["$ curl -s \\", '    "$B/x"', "out 1", "out 2", "", "$ # a comment", "$ true"]
    )
    assert [c.text for c in commands] == ['curl -s \\\n    "$B/x"', "# a comment", "true"]
    assert commands[0].output == ["out 1", "out 2"] and commands[0].separator == [""]
    assert commands[1].is_comment and not commands[2].output
    with pytest.raises(ValueError, match="output before any"):
        parse_commands(["no prompt"])


def test_curl_options_are_translated_or_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_bytes(b"a: 1\nb: 2\n")
    request = curl.parse(
        ["-si", "-X", "POST", "-H", "Authorization: Bearer t", "--data-binary", f"@{manifest}", "u"]
    )
    assert request.flags == {"silent", "include"} and request.method == "POST"
    assert request.headers == [("Authorization", "Bearer t")] and request.data == b"a: 1\nb: 2\n"
    assert curl.parse(["-d", f"@{manifest}", "u"]).data == b"a: 1b: 2", "-d drops newlines"
    with pytest.raises(curl.UsageError, match="--location"):
        curl.parse(["--location", "u"])
    with pytest.raises(curl.UsageError, match="not on a host"):
        curl.target("https://elsewhere.example.com/api/v1/entities")


def test_drift_is_found_and_rewritten_from_real_output(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "Intro.\n\n"
        "```console\n$ catalog-service validate apps/\n15 file(s) checked, 0 problem(s)\n```\n\n"
        "<!-- example: skip: shown, not run -->\n```console\n$ gh pr create\n```\n\n"
        f"```console\n$ curl -s $B/readyz\n{READYZ % 36}\n```\n\n"
        f"  ```console\n  $ curl -s $B/readyz\n  {READYZ % 35}\n  ```\nEnd.\n",
        encoding="utf-8",
    )
    with DemoSession(tmp_path / "demo") as session:
        report = check_doc(doc, session, update=False)
        assert report.run == 3 and report.skipped == ["doc.md:9: shown, not run"]
        # Wrong counts are drift; the last block differs only in revision and times: it matches.
        assert [m.splitlines()[0] for m in report.mismatches] == [
            "doc.md:3: $ catalog-service validate apps/",
            "doc.md:13: $ curl -s $B/readyz",
        ]
        assert "+14 file(s) checked, 0 problem(s)" in report.mismatches[0]

        before = doc.read_text(encoding="utf-8")
        assert check_doc(doc, session, update=True).rewritten == 2
        after = doc.read_text(encoding="utf-8")
        assert "14 file(s) checked, 0 problem(s)" in after and '"entities":36' not in after
        assert after.endswith(
            f"  ```console\n  $ curl -s $B/readyz\n  {READYZ % 35}\n  ```\nEnd.\n"
        )
        assert before.count("\n") == after.count("\n")
        assert check_doc(doc, session, update=False).mismatches == []


def test_every_console_block_of_the_docs_is_run_or_says_why_not() -> None:
    from tests.docs.test_examples import DOCS

    found = [block for doc in DOCS for block in blocks(doc) if block.info == "console"]
    skipped = [block for block in found if "skip" in block.directives]
    assert all(block.directives["skip"] for block in skipped)
    assert len(skipped) * 5 < len(found), "most examples are run"
