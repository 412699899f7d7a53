"""``catalog-service``: serve, demo, validate, export, render, schema, db upgrade, backfill-prs
(docs/architecture.md §6.8)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from catalog_service import __version__
from catalog_service.errors import CatalogError, ConfigurationError

# Each command imports what it needs when it runs (docs/architecture.md §2): `--help`
# loads no web, database or GitHub library, `validate` only the domain, `export` only the ingest.
if TYPE_CHECKING:
    from catalog_service.domain.catalog import CompiledFile
    from catalog_service.domain.entities import EntityContext
    from catalog_service.domain.problems import Problem
    from catalog_service.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
LOG_LEVEL_ENV = "CATALOG_LOG_LEVEL"  # read here, before any settings (docs/configuration.md)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        level = log_level(os.environ.get(LOG_LEVEL_ENV))
    except ConfigurationError as error:
        print(f"catalog-service: {error.message}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # Alembic announces each of its plugins at INFO; the migrations it runs are what matters.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        result: int = args.run(args)
    except CatalogError as error:
        print(f"catalog-service: {error.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `catalog-service schema | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return result


def log_level(value: str | None) -> str:
    """The level ``CATALOG_LOG_LEVEL`` names (default INFO); a ConfigurationError naming the
    variable for anything else, as for the other settings."""
    level = (value or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigurationError(
            f"invalid configuration in CATALOG_* variables:\n  {LOG_LEVEL_ENV}:"
            f" must be one of {', '.join(LOG_LEVELS)}"
        )
    return level


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="catalog-service",
        description="Application manifests in a GitOps repository, served as a Backstage catalog.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the service")
    _config_option(serve)
    _listen_options(serve)
    serve.set_defaults(run=_serve)

    demo = commands.add_parser("demo", help="run the service on the demo GitOps repository")
    _listen_options(demo)
    demo.add_argument(
        "--workdir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / "catalog-service"
        / "demo",
        help="where the demo repository is created (default: %(default)s)",
    )
    demo.add_argument("--reset", action="store_true", help="recreate the demo repository")
    demo.set_defaults(run=_demo)

    validate = commands.add_parser(
        "validate", help="check manifest files; exit 1 on errors (not on warnings only)"
    )
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    validate.add_argument("--format", choices=["text", "github", "json"], default="text")
    _config_option(validate, required=False)
    validate.set_defaults(run=_validate)

    export = commands.add_parser("export", help="ingest once: entities on stdout")
    _config_option(export)
    export.add_argument("--format", choices=["yaml", "json"], default="yaml")
    export.set_defaults(run=_export)

    render = commands.add_parser(
        "render", help="write each application's chart values and Argo CD Application"
    )
    _config_option(render)
    render.add_argument(
        "--out", type=Path, required=True, help="the folder to write (new, empty, or rendered)"
    )
    render.set_defaults(run=_render)

    schema = commands.add_parser("schema", help="print the JSON Schema of the manifest format")
    schema.set_defaults(run=_schema)

    database = commands.add_parser("db", help="the database")
    database_commands = database.add_subparsers(required=True, metavar="COMMAND")
    upgrade = database_commands.add_parser("upgrade", help="apply the database migrations")
    _config_option(upgrade, required=False)
    upgrade.set_defaults(run=_db_upgrade)

    backfill = commands.add_parser(
        "backfill-prs", help="record past merged manifest pull requests (safe to run again)"
    )
    _config_option(backfill)
    backfill.add_argument(
        "--since",
        type=_moment,
        help="only those merged from this date (YYYY-MM-DD, UTC) on; default: all",
    )
    backfill.set_defaults(run=_backfill_prs)
    return parser


def _moment(text: str) -> dt.datetime:
    from catalog_service.timestamps import in_utc

    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None
    try:
        return in_utc(moment)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _config_option(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help="configuration file (default: $CATALOG_CONFIG)"
        + ("" if required else "; gives the environment names"),
    )


def _listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help="default: %(default)s")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default: %(default)s")


def _serve(args: argparse.Namespace) -> int:
    from catalog_service.settings import load_settings

    return _run_server(load_settings(args.config), args.host, args.port)


def _demo(args: argparse.Namespace) -> int:
    from catalog_service.demo import DEMO_TOKEN, prepare_demo
    from catalog_service.demo_story import tell_the_story

    settings = prepare_demo(args.workdir, reset=args.reset)
    tell_the_story(settings)  # a history and a few records for the dashboard, at first start
    base = f"http://{args.host}:{args.port}"
    print(
        f"Demo GitOps repository: {settings.source.url}\n"
        f"  edit a manifest there and `git commit -am ...`: the catalog follows within"
        f" {settings.source.pollSeconds:g} s\n"
        f"Open {base}/api/v1/entities.yaml, {base}/api/v1/problems, {base}/readyz, {base}/docs\n"
        f"Write endpoints take: Authorization: Bearer {DEMO_TOKEN}",
        file=sys.stderr,
    )
    return _run_server(settings, args.host, args.port)


# Longer than the idle timeout of the load balancers in front (60 s on AWS's, nginx's 60 s
# upstream default): with uvicorn's 5 s, a pooled connection it had closed was reused by the proxy
# or client, and the request failed (bench.load saw RemoteProtocolErrors under load).
KEEP_ALIVE_SECONDS = 75


def _run_server(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    from catalog_service.db.leases import sqlite_claim
    from catalog_service.http.app import create_app
    from catalog_service.logs import configure_logging, settings_secrets

    # CATALOG_LOG_LEVEL (checked in main) wins over logging.level when it is set.
    level = log_level(os.environ[LOG_LEVEL_ENV]) if os.environ.get(LOG_LEVEL_ENV) else None
    configure_logging(settings.logging, settings_secrets(settings), level=level)
    # SQLite serves one replica: a second service on the file stops here, saying why.
    claim = sqlite_claim(settings.database.url)
    if claim is not None:
        claim.acquire()
    # SIGTERM is how Kubernetes stops a pod: requests in flight get shutdown.graceSeconds, then
    # they are cancelled and the shutdown (which kills git) runs. uvicorn raises the signal again
    # once it has stopped; that ends the process with status 0, as a stop that went well.
    previous = signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_config=None,  # its lines go through the service's handler (catalog_service.logs)
            access_log=False,  # the service writes one line per request itself, with its id
            timeout_graceful_shutdown=math.ceil(settings.shutdown.graceSeconds),
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
        if claim is not None:
            claim.release()
    return 0


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _validate(args: argparse.Namespace) -> int:
    from catalog_service.domain.problems import ERROR, Problem
    from catalog_service.domain.review import empty_catalog, review

    context = _validation_context(args.config)
    files = [
        _compile_local(path, display, context) for path, display in _manifest_files(args.paths)
    ]
    # The files as a change to an empty catalog: the rules of ingest, through the one engine.
    changes = {file.path: file for file in files}
    problems = list(review(empty_catalog(context), changes, context).findings)
    problems += [
        Problem(str(p), 1, 1, "no such file or folder") for p in args.paths if not p.exists()
    ]
    _print_problems(problems, args.format, len(files))
    return 1 if any(problem.severity == ERROR for problem in problems) else 0


def _validation_context(config: Path | None) -> EntityContext:
    from catalog_service.settings import load_settings
    from catalog_service.sources.repository import entity_context

    # Checking files needs the environment names (and links), not a source: a GitOps repository's
    # CI can give them in a small file or in CATALOG_ENVIRONMENTS, without source.url.
    return entity_context(load_settings(config, defaults={"source": {"url": "."}}))


def _manifest_files(paths: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    """The files given, and the manifests in the folders given: each folder is read as a root,
    with the ingest's own rule (``is_manifest_path``: hidden folders such as .git and .github
    hold YAML that is not manifests, and are not even walked)."""
    from catalog_service.domain.parsing import is_manifest_path

    for path in paths:
        if path.is_dir() and not path.is_symlink():
            found = []
            for folder, folders, names in os.walk(path):
                base = Path(folder)
                # Symbolic links to folders are listed, never followed: one named *.yaml is
                # reported as a link, as the ingest does.
                folders[:] = [name for name in folders if not name.startswith(".")]
                links = [name for name in folders if (base / name).is_symlink()]
                for name in names + links:
                    relative = (base / name).relative_to(path).as_posix()
                    if is_manifest_path(relative, (".",)):
                        found.append(base / name)
            for file in sorted(found):
                yield file, file.as_posix()
        elif path.exists() or path.is_symlink():
            yield path, path.as_posix()


def _compile_local(path: Path, display: str, context: EntityContext) -> CompiledFile:
    from catalog_service.domain.catalog import compile_file, rejected_symlink, rejected_too_large
    from catalog_service.domain.parsing import MAX_FILE_BYTES

    if path.is_symlink():
        return rejected_symlink(display)
    if path.stat().st_size > MAX_FILE_BYTES:
        return rejected_too_large(display)
    return compile_file(display, path.read_bytes(), context)


def _print_problems(problems: Sequence[Problem], output: str, file_count: int) -> None:
    from catalog_service.domain.problems import ERROR, WARNING

    # Problems on stdout, the summary on stderr in every format: stdout stays machine-readable.
    errors = sum(problem.severity == ERROR for problem in problems)
    if output == "json":
        report = {"valid": not errors, "problems": [problem.to_json() for problem in problems]}
        print(json.dumps(report, indent=2))
    for problem in problems if output != "json" else ():
        if output == "github":
            message = _escape_data(problem.message)
            # Property values also escape ':' and ',' (as GitHub's own toolkit does).
            path = _escape_data(problem.path).replace(":", "%3A").replace(",", "%2C")
            print(
                f"::{problem.severity} file={path},line={problem.line},col={problem.column}"
                f"::{message}"
            )
        elif problem.severity == WARNING:
            print(f"{problem.path}:{problem.line}:{problem.column}: warning: {problem.message}")
        else:
            print(problem)
    warnings = len(problems) - errors
    summary = f"{file_count} file(s) checked, {len(problems)} problem(s)"
    print(summary + (f", {warnings} of them warning(s)" if warnings else ""), file=sys.stderr)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _export(args: argparse.Namespace) -> int:
    from catalog_service.ingest.build import build_ingestor
    from catalog_service.settings import load_settings

    ingestor = build_ingestor(load_settings(args.config))
    ingestor.refresh()
    snapshot = ingestor.snapshot
    assert snapshot is not None  # the first ingest is never held back
    if args.format == "json":
        sys.stdout.buffer.write(snapshot.body + b"\n")
    else:
        sys.stdout.buffer.write(snapshot.yaml_body)
    for problem in snapshot.catalog.problems:
        print(problem, file=sys.stderr)
    return 0


def _render(args: argparse.Namespace) -> int:
    from catalog_service.render.command import render_repository
    from catalog_service.settings import load_settings

    outcome = render_repository(load_settings(args.config), args.out)
    for problem in outcome.problems:
        print(problem, file=sys.stderr)
    files = outcome.files
    print(
        f"rendered {len(outcome.rendered)} application(s) x environment(s) into {args.out}:"
        f" {files.written} file(s) written,"
        f" {files.unchanged} unchanged, {files.removed} removed;"
        f" {len(outcome.problems)} problem(s)",
        file=sys.stderr,
    )
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from catalog_service.db import redact, upgrade
    from catalog_service.settings import load_settings

    # Only database.url matters here: a configuration without a source is fine.
    url = load_settings(args.config, defaults={"source": {"url": "."}}).database.url
    revision = upgrade(url)
    print(f"database {redact(url)} is at revision {revision}", file=sys.stderr)
    return 0


def _backfill_prs(args: argparse.Namespace) -> int:
    from catalog_service.pull_requests.backfill import backfill
    from catalog_service.settings import load_settings

    recorded = backfill(load_settings(args.config), args.since)
    print(f"recorded {recorded} merged manifest pull requests", file=sys.stderr)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from catalog_service.domain.manifests import manifest_json_schema

    print(json.dumps(manifest_json_schema(), indent=2))
    return 0


__all__ = ["main"]
