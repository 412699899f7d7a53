# The catalog service's image (docs/deployment.md). Two stages: the build stage installs the
# package and exactly the dependencies of uv.lock into /opt/venv; the final stage copies only that
# virtual environment onto the same base, so no compiler, package cache or test tool ships.
#   docker build -t catalog-service .
#   docker run -p 8080:8080 catalog-service catalog-service demo --host 0.0.0.0
# BASE: any image with python3 (3.11 or later); git is installed in the final stage if it lacks it.
ARG BASE=python:3.12-slim

FROM ${BASE} AS build
ARG UV_VERSION=0.13.8
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_SYSTEM_CERTS=1
RUN python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
WORKDIR /src
# The dependencies first (their own layer: a change to the code does not reinstall them).
COPY pyproject.toml uv.lock README.md ./
RUN /opt/uv/bin/uv sync --locked --no-dev --no-install-project
# Then the package itself, built as a wheel and installed (not editable: /src is not copied on).
COPY catalog_service ./catalog_service
COPY examples ./examples
# (The demo's repository ships inside the package: catalog_service/_examples.)
RUN /opt/uv/bin/uv sync --locked --no-dev --no-editable \
    && ls -d /opt/venv/lib/python3*/site-packages/catalog_service/_examples/gitops

FROM ${BASE}
# git is how the service reads the GitOps repository (and pushes an action's branch).
RUN if ! command -v git >/dev/null; then \
        apt-get update -qq \
        && apt-get install -y -qq --no-install-recommends git ca-certificates >/dev/null \
        && rm -rf /var/lib/apt/lists/* /var/cache/apt/*; \
    fi \
    && echo "catalog:x:10001:10001:catalog-service:/var/lib/catalog-service:/usr/sbin/nologin" >> /etc/passwd \
    && echo "catalog:x:10001:" >> /etc/group \
    && mkdir -p /etc/catalog-service /var/lib/catalog-service \
    && chown 10001:10001 /var/lib/catalog-service
COPY --from=build /opt/venv /opt/venv
COPY deploy/image/config.yaml /etc/catalog-service/config.yaml
# State lives under /var/lib/catalog-service: the SQLite default (database.url sqlite:///catalog.db
# is relative to the working directory) and the mirror (under $XDG_CACHE_HOME).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/catalog-service \
    XDG_CACHE_HOME=/var/lib/catalog-service/cache \
    CATALOG_CONFIG=/etc/catalog-service/config.yaml \
    CATALOG_LOGGING__FORMAT=json
# The command starts (git found, every module importable) on this base.
RUN catalog-service --version
WORKDIR /var/lib/catalog-service
USER 10001:10001
EXPOSE 8080
# No curl in a slim image: Python asks /healthz (liveness: the service answers at all).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["catalog-service", "serve", "--host", "0.0.0.0", "--port", "8080"]
