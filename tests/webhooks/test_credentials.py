"""The App's installation token reaches the git fetch, and nothing else: not the logs, errors,
/readyz, or any file of the mirror (its .git/config included)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.github.test_auth import APP_ID, INSTALLATION
from tests.support.github_double import GitHubDouble
from tests.support.github_fixtures import AppKey
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory
from tests.webhooks.support import deliver, eventually, payload, running, webhook_settings


def mirror_text(folder: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", errors="replace")
        for path in folder.rglob("*")
        if path.is_file()
    )


def test_no_installation_token_in_logs_errors_readyz_or_the_mirror(
    make_settings: SettingsFactory,
    database_url: str,
    gitops: GitOpsRepo,
    github_double: GitHubDouble,
    github_app_key: AppKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    gitops.add_application("web")
    gitops.commit()
    github_double.add_app(APP_ID, github_app_key.public_pem, INSTALLATION)
    app = {"id": APP_ID, "privateKey": github_app_key.private_pem, "installationId": INSTALLATION}
    settings = webhook_settings(
        make_settings, database_url, github={"app": app, "apiUrl": github_double.api_url}
    )
    with running(settings, poll=True) as (client, _):
        eventually(lambda: client.get("/readyz").status_code == 200)
        answers = [
            client.get("/readyz").text,
            deliver(client, "push", payload("push"), secret="wrong").text,
            deliver(client, "push", b"not json").text,
            client.get("/api/v1/pull-requests", params={"cursor": "x"}).text,
        ]
    issued = [token.token for token in github_double.issued]
    assert issued, "the service fetched an installation token for git"
    mirror = mirror_text(settings.mirror_dir())
    assert any(path.name == "config" for path in settings.mirror_dir().rglob("config"))
    for token in issued:
        assert token not in mirror
        assert token not in caplog.text
        assert all(token not in answer for answer in answers)
    assert github_app_key.private_pem.splitlines()[1] not in caplog.text + "".join(answers)
