"""The fuzz rule can fail: a command made to raise, hang, print stray text on stderr or
overflow is caught by :func:`fuzzing.run` and fails :func:`fuzzing.check`, and the fuzz
settings are reproducible."""

from __future__ import annotations

import time

import numpy as np
import pytest

import fuzzing
from fuzzing import check, fuzz_settings, run
from pbr_model.cli import show as show_cli


def _broken(behaviour):
    def show(*args, **kwargs):
        return behaviour()
    return show


def _raise():
    raise ZeroDivisionError("a bug")


def _hang():
    time.sleep(30)


def _stray():
    from pbr_model.cli.app import err
    err.print("oops, not an error line")
    raise SystemExit(2)


def _overflow():
    np.array([1e300]) * np.array([1e300])
    raise SystemExit(0)


@pytest.mark.parametrize("behaviour, kind, cause", [
    (_raise, "traceback", "ZeroDivisionError at show.py"),
    (_hang, "hang", "still running after 0.5 s"),
    (_stray, "bad-exit", "oops"),
    (_overflow, "warning", "overflow"),
], ids=["traceback", "hang", "stray-stderr", "numeric-warning"])
def test_a_bad_outcome_fails_the_fuzz_rule(monkeypatch, behaviour, kind, cause):
    monkeypatch.setattr(show_cli, "show", _broken(behaviour))
    monkeypatch.setattr(fuzzing, "COLLECT", None)
    start = time.perf_counter()
    outcome = run(["show", "peterborough-sib"], seconds=0.5)
    assert time.perf_counter() - start < 10
    assert (outcome.kind, outcome.failed) == (kind, True), outcome.explain()
    assert cause in outcome.cause
    with pytest.raises(AssertionError, match=kind):
        check("harness", ["show", "peterborough-sib"], seconds=0.5)


def test_good_outcomes_pass(monkeypatch):
    monkeypatch.setattr(fuzzing, "COLLECT", None)
    assert check("harness", ["show", "peterborough-sib"]).kind == "ok"
    bad = check("harness", ["simulate", "--sims", "0"])
    assert bad.kind == "error" and "--sims" in bad.stderr
    assert check("harness", ["simulate", "--no-such-flag"]).kind == "error"  # click's usage


def test_the_memory_bound_stops_a_huge_allocation_at_once(monkeypatch):
    # 128 GiB: refused at once under the bound (the CLI says out of memory), where without
    # it the machine would swap
    monkeypatch.setattr(show_cli, "show", _broken(lambda: np.ones(2**34)))
    start = time.perf_counter()
    outcome = run(["show", "peterborough-sib"])
    assert time.perf_counter() - start < 10
    assert outcome.kind in ("traceback", "error"), outcome.explain()
    assert "memory" in (outcome.cause + outcome.stderr).lower(), outcome.explain()


def test_fuzz_settings_are_reproducible(monkeypatch):
    s = fuzz_settings(7)
    assert (s.derandomize, s.database, s.max_examples) == (True, None, 7)
    monkeypatch.setattr(fuzzing, "_EXAMPLES", 5000)
    assert fuzz_settings(7).max_examples == 5000
