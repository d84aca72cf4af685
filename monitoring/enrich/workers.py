"""Enrich batches in worker processes while the calling process stores and detects.

Enrichment is pure Python and takes most of a backfill's time; the GIL keeps it on one
core.  :class:`EnrichPool` runs :class:`~monitoring.enrich.pipeline.Enricher` in ``jobs``
worker processes (fresh interpreters): batches are handed out in turn and their frames
come back in the order they were submitted, so the caller stores them exactly as it would
have without the pool (the same rows, in the same transactions, with the same cursors).  A replay killed at any
point therefore resumes as before; the workers notice their parent is gone and exit.

``jobs=0`` enriches in the calling process (no child, the same interface).
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Self

import pandas as pd

from monitoring.config import Settings
from monitoring.enrich.pipeline import Enricher
from monitoring.models import Mention

__all__ = ["EnrichPool", "WorkerError", "default_jobs"]

#: Seconds a waiting worker sleeps between checks that its parent is alive.
PARENT_CHECK_SECONDS = 1.0


class WorkerError(RuntimeError):
    """A worker process failed (its traceback is in the message) or died."""


def default_jobs() -> int:
    """Worker processes for a backfill: one per core the process may use, at most 4.

    >>> 1 <= default_jobs() <= 4
    True
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no orphan on SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # the getppid() check below still ends the worker


def _serve(conn: Connection) -> None:
    """Worker loop: the settings first, then lists of mentions, each answered by its frame."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    parent = os.getppid()
    try:
        settings, models_dir = conn.recv()
    except (EOFError, OSError):
        return
    enricher = Enricher(settings, models_dir=models_dir)
    while True:
        if not conn.poll(PARENT_CHECK_SECONDS):
            if os.getppid() != parent:
                return
            continue
        try:
            mentions = conn.recv()
        except (EOFError, OSError):
            return
        if mentions is None:
            return
        try:
            reply: tuple[str, Any] = ("ok", enricher.enrich(mentions))
        except Exception:  # noqa: BLE001 - reported to the parent, which raises it
            reply = ("error", traceback.format_exc())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


def _read(conn: Connection, replies: queue.SimpleQueue[tuple[str, Any]]) -> None:
    """Reader thread of one worker: queue each reply; ``("gone", why)`` when it ends."""
    while True:
        try:
            replies.put(conn.recv())
        except (EOFError, OSError) as exc:
            replies.put(("gone", str(exc) or "connection closed"))
            return


class EnrichPool:
    """Enrich batches of mentions ahead, in order, in ``jobs`` worker processes.

    Parameters
    ----------
    settings : Settings
        What the :class:`~monitoring.enrich.pipeline.Enricher` of each worker uses.
    models_dir : Path or str, optional
        Folder of the models learned from the team's labels.
    jobs : int
        Worker processes; 0 enriches in the calling process.

    Examples
    --------
    >>> from datetime import datetime
    >>> from monitoring.config import Settings
    >>> s = Settings.model_validate({"streams": [{"id": "acme", "name": "ACME",
    ...     "keywords": ["acme"]}]})
    >>> m = Mention("t", "1", "acme", datetime(2026, 1, 1), "@bob", "acme bill wrong",
    ...             lang_hint="en")
    >>> with EnrichPool(s, jobs=0) as pool:
    ...     pool.submit([m])
    ...     frame = pool.result()
    >>> list(frame["source_id"]), pool.pending
    (['1'], 0)
    """

    def __init__(self, settings: Settings, models_dir: Path | str | None = None,
                 jobs: int = 0):
        self.jobs = max(0, int(jobs))
        self._queue: deque[tuple[int, Sequence[Mention]]] = deque()
        self._next = 0
        self._local: Enricher | None = None
        self._conns: list[Connection] = []
        self._procs: list[subprocess.Popen[bytes]] = []
        # One reader thread per worker drains its replies as they come: a worker blocked
        # sending a frame would otherwise stop reading, and the next send would deadlock.
        self._replies: list[queue.SimpleQueue[tuple[str, Any]]] = []
        if self.jobs == 0:
            self._local = Enricher(settings, models_dir=models_dir)
            return
        # A fresh interpreter per worker (no fork of a process holding DuckDB's threads),
        # started as a module so that nothing of the caller's ``__main__`` runs again.
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [root, os.environ.get("PYTHONPATH")])))
        for _ in range(self.jobs):
            ours, theirs = socket.socketpair()
            proc = subprocess.Popen(
                [sys.executable, "-m", "monitoring.enrich.workers", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, env=env)
            theirs.close()
            parent_end = Connection(ours.detach())
            parent_end.send((settings, str(models_dir) if models_dir else None))
            replies: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
            threading.Thread(target=_read, args=(parent_end, replies), daemon=True,
                             name="sentinella-enrich-reader").start()
            self._conns.append(parent_end)
            self._procs.append(proc)
            self._replies.append(replies)

    @property
    def pending(self) -> int:
        """Batches submitted whose frame has not been taken yet."""
        return len(self._queue)

    def submit(self, mentions: Sequence[Mention]) -> None:
        """Queue a batch; its frame comes out of :meth:`result` after the earlier ones."""
        worker = self._next % self.jobs if self.jobs else -1
        self._next += 1
        if worker >= 0:
            try:
                self._conns[worker].send(list(mentions))
            except (BrokenPipeError, OSError) as exc:
                raise WorkerError(f"enrichment worker {worker} is gone: {exc}") from None
        self._queue.append((worker, mentions))

    def result(self) -> pd.DataFrame:
        """The enriched frame of the oldest batch not taken yet."""
        worker, mentions = self._queue.popleft()
        if worker < 0:
            assert self._local is not None
            return self._local.enrich(mentions)
        status, payload = self._replies[worker].get()
        if status == "gone":
            try:
                code = self._procs[worker].wait(timeout=1)
            except subprocess.TimeoutExpired:
                code = None
            raise WorkerError(f"enrichment worker {worker} died (exit code {code}): {payload}")
        if status != "ok":
            raise WorkerError(f"enrichment worker {worker} failed:\n{payload}")
        return payload

    def close(self) -> None:
        """Stop the workers; batches whose frames were not taken are abandoned."""
        abandon = bool(self._queue)
        for conn in self._conns:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for proc in self._procs:
            if abandon:  # do not wait for it to enrich batches nobody will take
                proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._queue.clear()
        for conn in self._conns:
            conn.close()
        self._conns, self._procs, self._replies = [], [], []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":  # a worker: python -m monitoring.enrich.workers FD
    _serve(Connection(int(sys.argv[1])))
