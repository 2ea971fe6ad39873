"""0.4's module paths still import, warning with the path to use; ``pbr_model.simulate``
stays the function."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import pbr_model
from pbr_model._moved import MOVED
from pbr_model.errors import PbrDeprecationWarning


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_serves_the_new_module_with_a_warning(old):
    sys.modules.pop(old, None)
    with pytest.warns(PbrDeprecationWarning, match=f"{old} is now {MOVED[old]}"):
        module = importlib.import_module(old)
    new = importlib.import_module(MOVED[old])
    public = [n for n in dir(new) if not n.startswith("_")]
    assert public and all(getattr(module, n) is getattr(new, n) for n in public)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_simulate_is_still_the_function():
    assert callable(pbr_model.simulate) and pbr_model.simulate.__module__ == \
        "pbr_model.analyses.simulate"


def test_an_old_import_in_a_script_runs_and_says_what_to_write():
    code = "from pbr_model.settle import settle; print(settle.__module__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "pbr_model.analyses.settle"
    assert "pbr_model.settle is now pbr_model.analyses.settle" in done.stderr
