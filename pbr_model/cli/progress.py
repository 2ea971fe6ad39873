"""A progress bar that appears only when a run takes longer than a second, and only on a
terminal (a pipe or a log file gets no bar, not even a blank line).

The bar hides the cursor while it draws; it is stopped, and the cursor shown again, when
the run ends however it ends: Ctrl-C and SIGTERM unwind through ``__exit__`` (see
``app.handles_errors``)."""

from __future__ import annotations

import os
import sys
import time

from .app import err, signals_wait


def surely_no_terminal() -> bool:
    """Whether stderr is certainly not a terminal, as rich's ``Console.is_terminal`` would
    also say, read without making the console (so without importing rich): ``TTY_COMPATIBLE``
    or ``FORCE_COLOR`` says so as rich reads them, or neither is set and stderr is not a
    tty. False where it may be one: then the console decides."""
    compatible = os.environ.get("TTY_COMPATIBLE")
    if compatible in ("0", "1"):
        return compatible == "0"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:   # rich: set and not empty is a terminal, empty is not
        return force == ""
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return not (isatty is not None and isatty())
    except ValueError:   # a closed stream
        return True


class LazyProgress:
    """``progress(done, total)`` callback; draws on stderr once 1 s has passed."""

    def __init__(self, label: str, delay: float = 1.0, enabled: bool = True,
                 unit: str = "sims"):
        self.label, self.delay, self.enabled, self.unit = label, delay, enabled, unit
        self.start = time.monotonic()
        self.bar = None   # a rich Progress, imported when first drawn (not on a pipe)
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        # the clock first: a run shorter than the delay never asks the terminal (nor
        # imports rich to)
        if not self.enabled or (self.bar is None and time.monotonic() - self.start < self.delay) \
                or surely_no_terminal() or not err.is_terminal:
            return
        with signals_wait():
            if self.bar is None and done < total:
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
                self.bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                                    TextColumn("{task.completed:,}/{task.total:,} " + self.unit),
                                    TimeRemainingColumn(), console=err.unwrap(), transient=True)
                self.bar.start()
                self.task = self.bar.add_task(self.label, total=total)
            if self.bar is not None:
                self.bar.update(self.task, completed=done)

    def __enter__(self) -> "LazyProgress":
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            with signals_wait():
                self.bar.stop()
