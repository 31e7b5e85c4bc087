"""The FHIR GET watchdog: one thread shuts each GET down at its own deadline, never a finished one."""

from __future__ import annotations

import socket

from service.fhir_get import _Watchdog, _Watched


def test_an_earlier_deadline_armed_later_fires_first() -> None:
    watchdog = _Watchdog()
    late, early = _Watched(), _Watched()
    watchdog.watch(late, 30.0)
    watchdog.watch(early, 0.05)  # the thread sleeps until 30 s; it must wake for this one
    assert early.fired.wait(5.0)
    assert not late.fired.is_set()


def test_a_finished_get_is_not_shut_down() -> None:
    watchdog = _Watchdog()
    finished, running = _Watched(), _Watched()
    watchdog.watch(finished, 0.05)
    finished.finish()
    watchdog.watch(running, 0.1)  # fires after `finished`'s deadline has passed
    assert running.fired.wait(5.0)
    assert not finished.fired.is_set()


def test_the_socket_of_a_get_past_its_deadline_is_shut_down() -> None:
    left, right = socket.socketpair()
    try:

        class _Conn:
            sock = left

        watched = _Watched()
        watched.conn = _Conn()  # type: ignore[assignment]  # only .sock is read
        _Watchdog().watch(watched, 0.05)
        left.settimeout(5.0)  # a watchdog that never fired fails the test by timing out
        assert left.recv(1) == b""  # the blocked recv returns: the socket was shut down
        assert watched.fired.is_set()
    finally:
        left.close()
        right.close()
