"""``curl`` as the docs use it, translated into an HTTP request made with httpx.

The doc examples are run by bash with ``curl`` defined as ``python -m tests.docs.curl``, so quoting,
variables, pipes and redirections are the shell's own. Only the options the docs use are understood;
any other one fails loudly, so an example never runs with an option silently ignored. The doc's
hosts (``DOC_HOSTS``) are sent to the server the test started (``$DOCS_SERVER``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

DOC_HOSTS = (
    "http://127.0.0.1:8080",
    "https://catalog.example.com",
    "https://catalog-service.internal:8080",
)
FLAGS = {"-s": "silent", "-i": "include", "-I": "head", "--compressed": "compressed"}
LONG_FLAGS = {"--silent": "-s", "--include": "-i", "--head": "-I"}
WITH_VALUE = {
    "-X": "-X",
    "--request": "-X",
    "-H": "-H",
    "--header": "-H",
    "-d": "-d",
    "--data": "-d",
    "--data-binary": "--data-binary",
    "-o": "-o",
    "--output": "-o",
    "-w": "-w",
    "--write-out": "-w",
}
CURL_ACCEPT_ENCODING = "deflate, gzip"


class UsageError(Exception):
    pass


@dataclass
class Request:
    url: str = ""
    method: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    data: bytes | None = None
    flags: set[str] = field(default_factory=set)
    output: str | None = None
    write_out: str | None = None


def parse(argv: Sequence[str]) -> Request:
    request = Request()
    args = list(argv)
    while args:
        arg = args.pop(0)
        arg = LONG_FLAGS.get(arg, arg)
        if arg in WITH_VALUE:
            if not args:
                raise UsageError(f"option {arg} needs a value")
            _set(request, WITH_VALUE[arg], args.pop(0))
        elif arg in FLAGS:
            request.flags.add(FLAGS[arg])
        elif arg.startswith("-") and len(arg) > 2 and not arg.startswith("--"):
            args[:0] = [f"-{letter}" for letter in arg[1:]]  # -si is -s -i
        elif arg.startswith("-"):
            raise UsageError(f"option {arg} is not one the doc examples use (tests/docs/curl.py)")
        elif request.url:
            raise UsageError(f"a second URL {arg!r}")
        else:
            request.url = arg
    if not request.url:
        raise UsageError("no URL")
    return request


def _set(request: Request, option: str, value: str) -> None:
    if option == "-X":
        request.method = value
    elif option == "-H":
        name, sep, header_value = value.partition(":")
        if not sep:
            raise UsageError(f"header {value!r} has no ':'")
        request.headers.append((name.strip(), header_value.strip()))
    elif option in ("-d", "--data-binary"):
        data = _data(value, binary=option == "--data-binary")
        request.data = data if request.data is None else request.data + b"&" + data
    elif option == "-o":
        request.output = value
    else:
        request.write_out = value


def _data(value: str, binary: bool) -> bytes:
    if not value.startswith("@"):
        return value.encode()
    name = value[1:]
    content = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    # -d @file drops the file's newlines (which is why the docs say --data-binary).
    return content if binary else content.replace(b"\r", b"").replace(b"\n", b"")


def target(url: str) -> str:
    for host in DOC_HOSTS:
        if url == host or url.startswith(host + "/"):
            return os.environ["DOCS_SERVER"] + url[len(host) :]
    raise UsageError(f"{url} is not on a host the doc examples use: {', '.join(DOC_HOSTS)}")


def perform(request: Request) -> bytes:
    """What curl prints for ``request``."""
    method = request.method or ("HEAD" if "head" in request.flags else None)
    method = method or ("POST" if request.data is not None else "GET")
    headers = httpx.Headers({"Accept": "*/*", "User-Agent": "curl/8 (tests/docs)"})
    if request.data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if "compressed" in request.flags:
        headers["Accept-Encoding"] = CURL_ACCEPT_ENCODING
    for name, value in request.headers:
        headers[name] = value
    with httpx.Client(timeout=60) as client:
        outgoing = client.build_request(
            method, target(request.url), headers=headers, content=request.data
        )
        # httpx adds its own Accept-Encoding (even to a client's emptied headers); curl does not.
        if "compressed" not in request.flags:
            del outgoing.headers["Accept-Encoding"]
        response = client.send(outgoing, stream=True)
        try:
            decoded = "compressed" in request.flags
            body = b"".join(response.iter_bytes() if decoded else response.iter_raw())
        finally:
            response.close()
    shown = b""
    if request.flags & {"include", "head"}:
        lines = [f"{response.http_version} {response.status_code} {response.reason_phrase}"]
        lines += [f"{name.decode()}: {value.decode()}" for name, value in response.headers.raw]
        shown += ("\n".join(lines) + "\n\n").encode()
    if request.output is not None:
        if request.output != "/dev/null":
            Path(request.output).write_bytes(body)
    elif "head" not in request.flags:
        shown += body
    if request.write_out is not None:
        shown += _write_out(request.write_out, response, len(body)).encode()
    return shown


def _write_out(template: str, response: httpx.Response, size: int) -> str:
    values = {
        "http_code": str(response.status_code),
        "size_download": str(size),
        "content_type": response.headers.get("content-type", ""),
    }
    text = template.replace("\\n", "\n")
    for name, value in values.items():
        text = text.replace("%{" + name + "}", value)
    if "%{" in text:
        raise UsageError(f"-w {template!r}: only %{{{'}, %{'.join(values)}}} are translated")
    return text


def main(argv: Sequence[str]) -> int:
    try:
        shown = perform(parse(argv))
    except UsageError as error:
        print(f"curl (tests/docs/curl.py): {error}", file=sys.stderr)
        return 2
    except httpx.TransportError:
        return 7  # curl's "failed to connect"; -s prints nothing
    sys.stdout.buffer.write(shown)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
