"""The /docs page works without the internet: every file it loads is served by the service."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from catalog_service.http.app import create_app
from tests.support.settings import SettingsFactory


def test_the_docs_page_loads_nothing_from_another_host(make_settings: SettingsFactory) -> None:
    with TestClient(create_app(make_settings(), poll=False)) as client:
        page = client.get("/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert "SwaggerUIBundle" in html
        assert "http://" not in html and "https://" not in html and "//cdn" not in html
        urls = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
        assert len(urls) >= 4, urls  # the script, the style sheet, the icon, the document
        for url in urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc and url.startswith("/"), url
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert answer.content, url
        assert (
            client.get("/docs/assets/swagger-ui-bundle.js")
            .headers["content-type"]
            .startswith("text/javascript")
        )
        assert "Apache License" in client.get("/docs/assets/LICENSE").text
        assert '"validatorUrl": null' in html, "no validator badge fetched from swagger.io"


def test_redoc_is_not_served(make_settings: SettingsFactory) -> None:
    with TestClient(create_app(make_settings(), poll=False)) as client:
        assert client.get("/redoc").status_code == 404
        assert client.get("/docs/assets/../../etc/passwd").status_code == 404
        assert (
            client.get("/docs/assets/swagger-ui-bundle.js", params={"path": "/etc/passwd"}).content[
                :20
            ]
            == client.get("/docs/assets/swagger-ui-bundle.js").content[:20]
        )
