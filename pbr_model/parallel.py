"""Where chunks of work run: in this process, in local worker processes or on a Dask cluster.

A run is cut into tasks, each a whole number of random-number blocks (:mod:`pbr_model.rng`),
and each task reduces its own results before returning them (per-simulation figures and
fixed-size sums, never the monthly arrays of its simulations, except where a result keeps
them). :func:`ordered_results` hands the tasks to any :class:`concurrent.futures.Executor`
and gives their results back **in task order**, so every sum the caller folds them into is
added in the same order whatever the executor, the number of workers or which worker
finished first: the numbers are byte-identical to a serial run.

At most ``window`` tasks are in flight at once (twice the workers by default), which
bounds the memory of results waiting to be folded.

``executor=None`` runs the tasks here, one after another. :func:`open_executor` makes the
executor the CLI's ``--threads N``, ``--workers N`` and ``--dask ADDRESS`` ask for.

**Threads.** A chunk spends most of its time inside numpy (its random-number generators and
its whole-array arithmetic), which lets go of the interpreter's lock, so two chunks on two
threads of one process run largely at once, with no process to start and nothing to copy
between processes. Each task has its own generators and arrays and reads only the frozen
spec, so which thread runs it changes nothing, and the results are folded in task order as
for any executor. The CLI runs the chunks of a run in this process on one thread per core
it may use (at most :data:`AUTO_THREADS`) unless ``--threads`` says otherwise; the library
stays serial unless given an executor.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .stopping import bind

if TYPE_CHECKING:  # multiprocessing and socket load only for --workers and --dask
    import socket

#: The most local worker processes ``--workers`` (or threads ``--threads``) accepts.
MAX_WORKERS = 256

#: The most threads a run uses when ``--threads`` is not given. Each thread still takes the
#: interpreter's lock for the engine's Python between numpy calls, so beyond a few threads
#: they mostly wait for it (two measured 1.4-1.5x on two cores): ``--workers`` (processes)
#: scales further.
AUTO_THREADS = 4

#: The most local worker processes ``pbr capital PORTFOLIO`` runs on when none of
#: ``--workers``, ``--threads`` and ``--dask`` is given (one per core up to this, fewer if
#: the memory check says so): a portfolio's owners and areas are many small array steps,
#: which threads share the interpreter's lock for and processes do not (docs/scaling.md,
#: "Threads"). The same cap as threads: each process holds a chunk and an interpreter.
AUTO_WORKERS = 4


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says, else
    the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def resolve_threads(threads: int | None, workers: int = 1, dask: str | None = None) -> int:
    """The threads a run in this process uses: ``threads`` as given, else one per core up
    to :data:`AUTO_THREADS`; 1 when the work goes to worker processes or to Dask."""
    if workers != 1 or dask is not None:
        return 1
    return min(cores(), AUTO_THREADS) if threads is None else threads


def ordered_results(fn: Callable[..., Any], tasks: Iterable[tuple], executor: Executor | None = None,
                    window: int | None = None) -> Iterator[Any]:
    """``fn(*task)`` for each task, yielded in task order.

    With an executor, up to ``window`` tasks (default: twice its workers, at least 2) are
    submitted ahead of the one being waited for; a task's exception is raised here when its
    turn comes (the tasks still queued are cancelled)."""
    if executor is None:
        for task in tasks:
            yield fn(*task)
        return
    window = window or max(2, 2 * workers_of(executor))
    pending: deque = deque()
    tasks = iter(tasks)
    try:
        for task in tasks:
            pending.append(executor.submit(fn, *task))
            if len(pending) >= window:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    finally:
        for future in pending:
            future.cancel()


def _result(future):
    """A task's result; a worker process that died (killed by the system, most often for
    want of memory) is said as such, not as a bug."""
    try:
        return future.result()
    except BrokenExecutor:
        raise InputError("--workers: a worker process died before its chunk was done (the "
                         "system stops a process that runs out of memory): use fewer "
                         "--workers, a smaller --chunk-size or fewer --sims") from None


#: What starting a chunk costs, in blocks' work: a tie-break towards fewer, larger chunks.
CHUNK_OVERHEAD = 0.05


def chunk_for(executor: Executor | None, sims: int, chunk_size: int) -> int:
    """The chunk size a run uses: ``chunk_size``, or with an executor the whole number of
    blocks, at most ``chunk_size``, with which its workers finish first (each chunk to the
    first worker free, as an executor hands them out; a chunk costing its blocks plus
    :data:`CHUNK_OVERHEAD`): 10 blocks on two workers are two chunks of 5, not 3, 3, 3
    and 1. Chunking changes no number."""
    if executor is None:
        return chunk_size
    from .rng import BLOCK
    workers = workers_of(executor)
    blocks = max(1, -(-sims // BLOCK))
    most = max(1, min(-(-chunk_size // BLOCK), blocks))
    best = (float("inf"), most)
    for size in range(most, 0, -1):   # the largest of equally quick sizes
        n, rest = divmod(blocks, size)
        free = [0.0] * min(workers, n + (rest > 0))   # when each worker is next free
        for cost in [size] * n + ([rest] if rest else []):
            heapq.heapreplace(free, free[0] + cost + CHUNK_OVERHEAD)
        finish = max(free)
        if finish < best[0] - 1e-9:
            best = (finish, size)
    return best[1] * BLOCK


def workers_of(executor: Executor) -> int:
    """How many tasks an executor runs at once, as far as it says (1 if it does not)."""
    n = getattr(executor, "_max_workers", None)
    if isinstance(n, int) and n > 0:
        return n
    client = getattr(executor, "_client", None)  # dask.distributed's ClientExecutor
    if client is not None:
        try:
            return max(1, sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()))
        except Exception:  # noqa: BLE001 - a scheduler that does not say: assume one
            return 1
    return 1


def check_workers(workers, name: str = "workers") -> None:
    """Raise ``InputError`` unless ``workers`` is a whole number from 1 to :data:`MAX_WORKERS`."""
    if isinstance(workers, bool) or not isinstance(workers, int) \
            or not 1 <= workers <= MAX_WORKERS:
        raise InputError(f"{name}: must be a whole number from 1 to {MAX_WORKERS} "
                         f"(got {workers!r})")


def check_executor(workers=1, dask=None, names: dict[str, str] | None = None,
                   threads=1) -> None:
    """Raise ``InputError`` listing what is wrong with ``workers``, ``dask`` and ``threads``
    (``None``: as many as :func:`resolve_threads` gives)."""
    label = (names or {}).get
    problems = []
    counts = [(workers, "workers")] + ([(threads, "threads")] if threads is not None else [])
    for value, name in counts:
        try:
            check_workers(value, label(name, name))
        except InputError as exc:
            problems.extend(exc.problems)
    if _several(threads) and (dask is not None or _several(workers)):
        other = "dask" if dask is not None else "workers"
        problems.append(f"{label('threads', 'threads')} and {label(other, other)}: give one of "
                        f"them (threads run the chunks in this process, {label(other, other)} "
                        f"elsewhere)")
    if dask is not None:
        if not isinstance(dask, str) or not dask.strip():
            problems.append(f"{label('dask', 'dask')}: the address of a Dask scheduler, e.g. "
                            f"tcp://10.0.0.5:8786 (got {dask!r})")
        if workers != 1:
            problems.append(f"{label('workers', 'workers')} and {label('dask', 'dask')}: give "
                            f"one of them (the Dask scheduler's workers do the work)")
    if problems:
        raise InputError(problems)


def _several(n) -> bool:
    """A valid count above 1 (a bad one is said alone, not also as a clash)."""
    return isinstance(n, int) and not isinstance(n, bool) and 1 < n <= MAX_WORKERS


@contextlib.contextmanager
def open_executor(workers: int = 1, dask: str | None = None,
                  names: dict[str, str] | None = None,
                  threads: int | None = 1) -> Iterator[Executor | None]:
    """The executor a run asks for: ``None`` (this process, one chunk after another) for
    one worker, one thread and no Dask; ``threads`` threads of this process (``None``: one
    per core, :func:`resolve_threads`); local worker processes for ``workers`` > 1; or the
    workers of the Dask scheduler at ``dask`` (``tcp://host:8786``; needs the optional
    extra ``pbr-model[dask]``). Closed (threads or workers shut down, the Dask client
    disconnected) on leaving the block."""
    label = (names or {}).get
    check_executor(workers, dask, names, threads)
    if dask is not None:
        with _dask_executor(dask, label("dask", "dask")) as executor:
            yield executor
        return
    if workers == 1:
        n = resolve_threads(threads)
        if n == 1:
            yield None
            return
        stopped = threading.Event()
        pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="pbr-chunk",
                                  initializer=bind, initargs=(stopped,))
        try:
            yield pool
        except BaseException:   # a stopped or failed run: long tasks give up (stop_point)
            stopped.set()
            raise
        finally:   # then wait only for what is running to reach its next stop point
            pool.shutdown(wait=True, cancel_futures=True)
        return
    from concurrent.futures import ProcessPoolExecutor   # (and multiprocessing) for --workers
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                   initializer=_quiet_worker)
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _quiet_worker() -> None:
    """A local worker leaves Ctrl-C to the command (which stops, cancels what is queued and
    says so in one line) and ends quietly on SIGTERM: with the command's own handlers, which
    a forked worker inherits, every worker would print a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def workers_can_start() -> bool:
    """Whether local worker processes can start here: their pool's queues need the
    system's semaphores (``/dev/shm`` on Linux), which some sandboxes and serverless
    platforms lack; tried by making one lock."""
    try:
        _context().Lock()
    except (OSError, ImportError, ValueError):
        return False
    return True


def _context():
    """Fork where the platform has it (workers start in milliseconds, sharing the parent's
    imports), else spawn."""
    import multiprocessing
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and os.name == "posix"
                                       else "spawn")


def _reachable(address: str, name: str, timeout: float = 5.0) -> None:
    """Raise ``InputError`` unless ``address`` is ``SCHEME://HOST:PORT`` with a TCP scheme and
    something answers there within ``timeout`` seconds (so a typo is said at once, not
    after the Dask client's own retries)."""
    import socket
    from urllib.parse import urlsplit
    example = "e.g. tcp://10.0.0.5:8786"
    parts = urlsplit(address.strip() if "://" in address else f"tcp://{address.strip()}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if parts.scheme not in ("tcp", "tls") or not host or port is None:
        raise InputError(f"{name}: the address of a Dask scheduler as tcp://HOST:PORT, "
                         f"{example} (got {address!r})")
    try:
        conn = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise InputError(f"{name}: cannot reach a Dask scheduler at {address!r} "
                         f"({exc.strerror or exc})") from None
    with conn:
        if parts.scheme == "tcp":  # a TLS handshake cannot be read here: the client says
            _greets_as_dask(conn, address, name)


#: The largest first word a Dask scheduler's greeting may lead with [bytes]: its handshake
#: is a small message (under a kilobyte), led by its size (2026 versions) or frame count.
MAX_GREETING = 2**20


def _greets_as_dask(conn: socket.socket, address: str, name: str) -> None:
    """Raise ``InputError`` unless what answers on ``conn`` greets as a Dask scheduler does:
    on a new TCP connection it sends its handshake at once, led by an unsigned 64-bit
    little-endian integer, the message's size (``distributed.comm.tcp``; older versions:
    its frame count), small either way. Something else (a web server, the dashboard's
    port) says nothing or something else, and the Dask client would wait on it without
    end or fail in its own words."""
    not_dask = (f"{name}: something answers at {address!r} but not as a Dask scheduler "
                "does ({}); give the scheduler's address (its port is 8786 by default; "
                "8787 is its dashboard), as tls:// if it speaks TLS")
    import socket
    got = b""
    try:
        while len(got) < 8:
            part = conn.recv(8 - len(got))
            if not part:
                raise InputError(not_dask.format("it closed the connection"))
            got += part
    except (TimeoutError, socket.timeout):
        raise InputError(not_dask.format(f"no greeting within {conn.gettimeout():g} s; a "
                                         "scheduler greets at once")) from None
    except OSError as exc:
        raise InputError(not_dask.format(exc.strerror or exc)) from None
    if not 1 <= int.from_bytes(got, "little") <= MAX_GREETING:
        raise InputError(not_dask.format(f"its first bytes are {got!r}"))


@contextlib.contextmanager
def _dask_executor(address: str, name: str) -> Iterator[Executor]:
    try:
        from distributed import Client
    except ImportError:
        raise InputError(f"{name}: Dask is not installed; install the extra with "
                         f"pip install 'pbr-model[dask]'") from None
    _reachable(address, name)
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError, MemoryError) as exc:
        # MemoryError: a peer's garbled frame sizes, not this machine's memory
        raise InputError(f"{name}: cannot reach a Dask scheduler at {address!r} "
                         f"({type(exc).__name__}: {exc})") from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
