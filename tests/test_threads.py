"""The ``pbr`` command runs BLAS on one thread unless the user chose a number, set before
numpy is first imported (BLAS reads it then); a program importing the library keeps its
own settings."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from pbr_model._threads import BLAS_THREAD_VARIABLES, one_blas_thread


def test_one_thread_unless_the_user_chose():
    env = {}
    assert one_blas_thread(env) and env == dict.fromkeys(BLAS_THREAD_VARIABLES, "1")
    env = {"OMP_NUM_THREADS": "4"}
    assert not one_blas_thread(env) and env == {"OMP_NUM_THREADS": "4"}


WATCH = """
import os, sys
seen = {}
class Watch:  # the BLAS variables at the moment numpy is first imported
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" and not seen:
            seen.update({k: os.environ.get(k) for k in %r})
        return None
sys.meta_path.insert(0, Watch())
"""

COMMAND = """
sys.argv = ["pbr", "simulate", "--sims", "1", "--json"]
from pbr_model.cli import main
try:
    main()
except SystemExit:
    pass
"""

LIBRARY = """
import pbr_model
pbr_model.simulate  # the engine, and numpy with it
"""


@pytest.mark.parametrize("program, user, expected", [  # (each id is the program's text)
    (COMMAND, {}, "1"),
    pytest.param(COMMAND, {"OPENBLAS_NUM_THREADS": "3"}, "3", marks=pytest.mark.slow),
    # the user's choice: nothing added
    pytest.param(COMMAND, {"OMP_NUM_THREADS": "2"}, None, marks=pytest.mark.slow),
    (LIBRARY, {}, None),
])
def test_set_before_numpy_is_imported_and_only_by_the_command(program, user, expected):
    code = WATCH % (BLAS_THREAD_VARIABLES,) + program + "\nprint('SEEN', seen)\n"
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, **user}, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = ast.literal_eval(out.stdout.split("SEEN ", 1)[1])
    assert seen["OPENBLAS_NUM_THREADS"] == expected
