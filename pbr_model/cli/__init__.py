"""The ``pbr`` command line: a thin Typer app over the library.

One module per command group; each command parses its options, makes one
library call and renders the result. Library errors (``PbrError``) become one
``Error:`` line per problem on stderr and exit code 2; anything else is a bug
and keeps its traceback.

``pbr --version`` is answered before the app is built (:func:`main`), so it costs the
interpreter's start-up and no more; ``pbr COMMAND ...`` imports the one module that
registers COMMAND (:data:`COMMANDS`), not every command's; ``app`` (every command) is built
on first use.
"""

from __future__ import annotations

import gc
import importlib
import sys
import types

__all__ = ["app", "main"]


class _Package(types.ModuleType):
    """This package, whose name ``app`` is the Typer app (as ``from .app import app`` made
    it when the app was built on import): importing the submodule ``cli/app.py`` does not
    rebind the name to the submodule."""

    def __setattr__(self, name: str, value) -> None:
        if name == "app" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


#: Each command and the module of this package that registers it on ``app``.
COMMANDS = {"breakeven": "breakeven", "capital": "capital", "providers": "capital",
            "power": "power", "settle": "settle", "indigo": "indigo", "show": "show", "simulate": "simulate",
            "list": "specs", "validate": "specs", "schema": "specs", "template": "template"}


def _app(command: str | None = None):
    """The Typer app with every command, or (``command`` named in :data:`COMMANDS`) with
    at least that one."""
    from .app import app
    if command in COMMANDS:
        importlib.import_module(f".{COMMANDS[command]}", __name__)
        return app
    from . import breakeven, capital, indigo, power, settle, show, simulate, specs, template  # noqa: F401  (each registers its commands on `app`)
    globals()["app"] = app
    return app


def __getattr__(name: str):
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The ``pbr`` entry point. ``pbr --version`` alone prints what the app's own
    ``--version`` prints (``cli/app.py``) without importing the app, numpy or the
    commands; ``pbr COMMAND ...`` runs the app with that command's module alone (the root
    takes no option but ``--help`` and ``--version``, so the first argument names the
    command); anything else (``pbr``, ``pbr --help``, a misspelt command) every command.
    BLAS gets one thread unless the user set one (:mod:`pbr_model._threads`), before
    anything imports numpy; standard output is guarded (:mod:`.stdout`: a reader that went
    away ends the command quietly with exit code 141, a full disk with one ``Error:`` line
    and exit code 2); a command keeps freed memory for its next arrays
    (:mod:`pbr_model._malloc`) and, as it ends, leaves its objects to the operating system
    instead of the cycle collector (``gc.freeze``). These are settings of the process, made
    for a command that ends it: a program that calls ``main`` and goes on keeps them (call
    ``gc.unfreeze()`` after it to let the collector see those objects again), and one that
    wants the command's numbers alone calls the library (``pbr_model.simulate`` and the
    rest), which changes none of them."""
    from .._threads import for_the_command
    from .stdout import StdoutLost, guard, lost
    for_the_command()
    guard()   # standard output that cannot be written ends the command as cli/stdout.py says
    args = sys.argv[1:]

    def end(exc: StdoutLost) -> None:   # where no command's boundary took it (--help too)
        code, message = lost(exc.error)
        if message is not None:
            sys.stderr.write(f"Error: {message}\n")
        sys.exit(code)

    if args == ["--version"]:
        from .._version import __version__
        try:
            sys.stdout.write(f"pbr-model {__version__}\n")
            sys.stdout.flush()
        except StdoutLost as exc:
            end(exc)
        return
    from .._malloc import keep_freed_memory
    keep_freed_memory()
    try:
        try:
            _app(args[0] if args else None)()
        finally:
            sys.stdout.flush()   # what is still buffered is written, or found unwritable, here
    except StdoutLost as exc:
        end(exc)
    finally:
        # At exit Python clears every module, and its cycle collector then frees what they
        # held in reference cycles (classes, functions, pydantic's validators) one by one:
        # about 0.1 s of a 0.8 s run. Frozen, they are left to the operating system, which
        # takes the whole process back at once. Only the command does this.
        gc.freeze()
