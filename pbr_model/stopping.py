"""Where a task on a thread of a stopped run gives up.

A run on threads of this process (:func:`pbr_model.parallel.open_executor`) that is stopped
(Ctrl-C, SIGTERM, an error) waits for the tasks already running; each gives up at its next
:func:`stop_point` (before each block it draws and before its chunk is measured and paid;
a portfolio owner's task also before each area it splits) instead of running to its end.
The main thread raises there, and before each file it writes, a Ctrl-C or SIGTERM that was
lost where it arrived (:func:`lose`).
Each pool has its own event, bound to its threads when they start (:func:`bind`), so a
stopped run never stops another's. A module of its own, so the engine can call it without
importing the machinery of worker processes.
"""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

_thread = threading.local()


def bind(stopped: threading.Event) -> None:
    """A pool thread's start: it gives up its task at a :func:`stop_point` once ``stopped``
    (its pool's run was stopped) is set."""
    _thread.stopped = stopped


def stop_point() -> None:
    """Raise ``CancelledError`` if this is a thread of a run that has been stopped; nothing
    reads it (the run is unwinding). In the main thread, raise a stop that was lost
    (:func:`lose`). Elsewhere (a worker process, Dask) it does nothing."""
    stopped = getattr(_thread, "stopped", None)
    if stopped is not None and stopped.is_set():
        raise CancelledError
    if _lost and threading.current_thread() is threading.main_thread():
        raise_lost()


#: A stop (Ctrl-C's ``KeyboardInterrupt``, SIGTERM's ``Terminated``) that the signal
#: handler raised where Python could not pass it on, the first of them (see :func:`lose`).
_lost: list[type[BaseException]] = []


def lose(stop: type[BaseException]) -> None:
    """Keep a stop that was raised where Python reports an exception and goes on instead
    of passing it on (a weakref callback during an import, an object's ``__del__``): the
    command line's handler raises the stop wherever the program is when the signal
    arrives, and there it would be lost and the run would carry on to its end. The main
    thread raises it at its next :func:`stop_point` (before each block drawn, each file
    written) or when the command returns (:func:`raise_lost`)."""
    if not _lost:
        _lost.append(stop)


def raise_lost() -> None:
    """Raise the stop :func:`lose` kept, if any (once)."""
    if _lost:
        raise _lost.pop()


def forget_lost() -> None:
    """Drop a kept stop (a command's start and end)."""
    _lost.clear()
