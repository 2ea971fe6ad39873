"""Flags are checked before anything is allocated: a grid flag's size is known before the
grid is built, every number is finite, and each problem is one ``Error:`` line (exit 2),
said together with the spec's own problems."""

from __future__ import annotations

import time

import pytest

from pbr_model.analyses.power import MAX_EFFECTS, parse_effects
from pbr_model.errors import InputError


@pytest.mark.parametrize("effects, fragment", [
    ("0:inf:1", "every number must be finite"),
    ("nan:0.1:0.01", "every number must be finite"),
    ("0:0.1:nan", "every number must be finite"),
    ("-inf:0:0.1", "every number must be finite"),
    ("0.1,inf", "every number must be finite"),
    ("0:0.9:1e-15", f"from 1 to {MAX_EFFECTS} effects (got 900000000000001 from"),
    ("0:0.9:5e-324", f"from 1 to {MAX_EFFECTS} effects (got too many from"),
    ("0:1e308:1e-308", "effects are relative reductions from -0.9 to 0.9"),
    ("-1e308:1e308:1e300", "effects are relative reductions from -0.9 to 0.9"),
    ("0:0.9:0.001", f"from 1 to {MAX_EFFECTS} effects (got 901 from"),
    ("0:0.1:0", "STEP > 0"),
    ("0:0.1:-0.01", "STEP > 0"),
    ("0.1:0:0.01", "STOP >= START"),
    ("0:0.1", "START:STOP:STEP"),
    ("0:0.1:0.01:1", "START:STOP:STEP"),
    ("", "START:STOP:STEP"),
    (",".join(["0.01"] * 5000), f"from 1 to {MAX_EFFECTS} effects (got 24,999 characters"),
])
def test_a_bad_effects_grid_is_refused_before_it_is_built(cli, effects, fragment):
    start = time.monotonic()
    errors = cli.error(cli.run("power", "--effects", effects, "--sims", "10"), fragment,
                       lines=1)
    assert errors[0].startswith("Error: --effects: ") and len(errors[0]) < 300
    assert time.monotonic() - start < 2


def test_the_grid_keeps_its_size_check_in_the_library():
    with pytest.raises(InputError, match="got too many"):
        parse_effects("0:0.5:1e-320")
    assert len(parse_effects(f"0:0.2:0.001")) == MAX_EFFECTS
