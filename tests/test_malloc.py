"""The ``pbr`` command keeps freed memory for its next arrays on glibc
(:mod:`pbr_model._malloc`): a freed array's pages serve the next one instead of being
handed back to the kernel and faulted in again. Only the command does it, and only where
the user has not set glibc's allocator."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pbr_model import _malloc
from pbr_model._malloc import USER_VARIABLES, wanted

GLIBC = hasattr(os, "confstr") and os.confstr("CS_GNU_LIBC_VERSION") is not None


@pytest.mark.parametrize("env", [{"PBR_MALLOC": "system"}, {"PBR_MALLOC": " System "},
                                 *({name: "1"} for name in USER_VARIABLES)])
def test_the_users_allocator_is_left_be(env):
    assert not wanted(env)
    assert not _malloc.keep_freed_memory(env)


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_wanted_on_glibc_without_the_users_settings():
    assert wanted({}) and wanted({"PBR_MALLOC": "yes"})


# Four 64 MB arrays made and freed in turn, with the minor page faults each one's
# first write costs. glibc maps an array this large (above its largest dynamic mmap
# threshold, 32 MiB) with fresh pages and unmaps it when freed, so each costs the same
# faults again; kept, the first array's pages serve the three after it.
PROBE = """
import resource, sys
import numpy as np
from pbr_model._malloc import keep_freed_memory
print("APPLIED", keep_freed_memory({} if sys.argv[1] == "keep" else {"PBR_MALLOC": "system"}))
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
seen = []
for _ in range(4):
    before = faults()
    a = np.ones(8_000_000)
    seen.append(faults() - before)
    del a
print("FAULTS", *seen)
"""


def _probe(mode: str) -> tuple[bool, list[int]]:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         timeout=120, check=True).stdout.splitlines()
    applied = next(line for line in out if line.startswith("APPLIED")).split()[1] == "True"
    seen = [int(x) for x in next(line for line in out if line.startswith("FAULTS")).split()[1:]]
    return applied, seen


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_freed_pages_serve_the_next_array():
    applied, seen = _probe("keep")
    assert applied
    first, later = seen[0], seen[1:]
    assert first > 0
    assert all(n <= first // 10 for n in later), seen
    # the control: glibc's own settings fault each array in again (so the check above
    # can fail)
    applied, seen = _probe("system")
    assert not applied
    assert all(n >= seen[0] // 2 > 0 for n in seen), seen


def test_the_command_applies_it_and_version_does_not(monkeypatch, capsys):
    from pbr_model import cli
    calls = []
    monkeypatch.setattr(_malloc, "keep_freed_memory", lambda environ=None: calls.append(1))
    monkeypatch.setattr(sys, "argv", ["pbr", "--version"])
    cli.main()
    assert calls == [] and "pbr-model" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["pbr", "list"])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code in (0, None) and calls == [1]


def test_the_library_leaves_the_allocator_alone():
    code = ("import sys; import pbr_model; pbr_model.simulate; "
            "print('LOADED', 'pbr_model._malloc' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "LOADED False" in out
