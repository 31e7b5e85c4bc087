"""The gunicorn worker of `ivig-cds serve`: gthread, but its listening sockets close when it starts to drain.

gunicorn's gthread worker (27.x) stops *accepting* on SIGTERM but keeps its inherited copy of the
listening socket open until its calls in flight are done (up to `graceful_timeout`). Meanwhile the
kernel keeps completing new connections into that socket's backlog, where nobody accepts them, and
resets them all when the worker finally closes the socket: a client (or load balancer) waits, then
sees a reset it cannot safely retry. This worker, as soon as it stops accepting for shutdown, accepts
and serves the connections already in the backlog, then closes its listeners. The master closes its
own copy at SIGTERM, so once every worker has done this (well under a second) the port is closed and a
new connection is refused at once, which clients and load balancers retry elsewhere.
"""

from __future__ import annotations

import select
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

_MAX_BACKLOG_ACCEPTS = 1024  # more than any listen backlog gunicorn sets by default (2048 is the cap)


class DrainingThreadWorker(ThreadWorker):  # type: ignore[misc]
    """A gthread worker that serves its listen backlog and closes its listeners on graceful shutdown."""

    def set_accept_enabled(self, enabled: bool) -> None:
        """Stop or start accepting; when stopping for shutdown, also serve the backlog and close listeners."""
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            for listener in self.sockets:
                self._accept_backlog(listener)
                listener.close()

    def _accept_backlog(self, listener: Any) -> None:
        """Accept (and queue for serving) every connection already waiting on `listener`."""
        for _ in range(_MAX_BACKLOG_ACCEPTS):
            try:
                readable, _, _ = select.select([listener], [], [], 0)
            except (OSError, ValueError):
                return
            if not readable:
                return
            self.accept(listener)
