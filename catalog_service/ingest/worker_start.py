"""Imported by the compile workers' fork server only (``compiling.forkserver_pool`` preloads it),
never by the service itself.

A process that a ``forkserver`` starts imports the program's main module first (as ``__mp_main__``,
as ``spawn`` does): a main module without ``if __name__ == "__main__":`` would run again in every
worker (a script's ingest, its output), and a service's command line would load in each. The
workers need only ``compiling``, which the fork server has imported: here its children skip that
import. (A context naming something of ``__main__`` is compiled in the process: ``compiling``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from multiprocessing import spawn
from typing import Any

_MAIN_MODULE = frozenset({"init_main_from_name", "init_main_from_path"})
_prepare = spawn.prepare


def prepare(data: Mapping[str, Any]) -> None:
    """multiprocessing's preparation of a new process (its path, folder, arguments), without
    importing the main module."""
    _prepare({key: value for key, value in data.items() if key not in _MAIN_MODULE})


spawn.prepare = prepare
