"""The numbers depend on the spec, the seed, the number of simulations and the package
version only: never on the chunk size, and a run says which spec and seed made it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pbr_model import __version__, load_spec, simulate
from pbr_model.spec import resolve

SIMS = 2500  # two full blocks of 1,024 and a part block


@pytest.fixture(scope="module")
def spec():
    return load_spec("tr-crc-example")


@pytest.fixture(scope="module")
def reference(spec):
    return simulate(spec, sims=SIMS, seed=7)


def test_same_spec_and_seed_give_identical_results(spec, reference):
    again = simulate(spec, sims=SIMS, seed=7)
    assert again.summary() == reference.summary()
    pd.testing.assert_frame_equal(again.simulations, reference.simulations, check_exact=True)
    pd.testing.assert_frame_equal(again.cohorts, reference.cohorts, check_exact=True)
    np.testing.assert_array_equal(again.cash_in, reference.cash_in)


@pytest.mark.parametrize("longer", [SIMS + 1, 3 * 1024, 4000])
def test_a_run_is_the_start_of_any_longer_run(spec, reference, longer):
    run = simulate(spec, sims=longer, seed=7)
    pd.testing.assert_frame_equal(run.simulations.iloc[:SIMS], reference.simulations,
                                  check_exact=True)
    np.testing.assert_array_equal(run.cash_out[:SIMS], reference.cash_out)


@pytest.mark.parametrize("chunk_size", [1, 1000, 1024, 3000, 100_000])
def test_chunk_size_changes_no_number(spec, reference, chunk_size):
    run = simulate(spec, sims=SIMS, seed=7, chunk_size=chunk_size)
    pd.testing.assert_frame_equal(run.simulations, reference.simulations, check_exact=True)
    pd.testing.assert_frame_equal(run.cohorts, reference.cohorts, check_exact=True)
    pd.testing.assert_frame_equal(run.months, reference.months, check_exact=True)
    np.testing.assert_array_equal(run.cash_in, reference.cash_in)
    np.testing.assert_array_equal(run.cash_out, reference.cash_out)
    assert run.summary() == reference.summary()


#: The national trend's years before the contract and correlated steps, switched on.
TREND_ON = ("trend.before=[{periods=10, binary_logit_drift=-0.004, binary_logit_sd=0.03, "
            "frequency_log_drift=0.006, frequency_log_sd=0.02}, {periods=6, "
            "binary_logit_sd=0.01}]", "trend.correlation=-0.5")


@pytest.mark.parametrize("chunk_size", [1, 1000, 3000])
def test_chunk_size_changes_no_number_with_the_trend_before_the_contract(chunk_size):
    spec = load_spec("tr-crc-example", TREND_ON)
    reference = simulate(spec, sims=SIMS, seed=7, chunk_size=100_000)
    run = simulate(spec, sims=SIMS, seed=7, chunk_size=chunk_size)
    pd.testing.assert_frame_equal(run.simulations, reference.simulations, check_exact=True)
    pd.testing.assert_frame_equal(run.cohorts, reference.cohorts, check_exact=True)
    np.testing.assert_array_equal(run.cash_in, reference.cash_in)
    longer = simulate(spec, sims=3000, seed=7, chunk_size=chunk_size)
    pd.testing.assert_frame_equal(longer.simulations.iloc[:2048],
                                  reference.simulations.iloc[:2048], check_exact=True)


def test_a_different_seed_gives_different_numbers(spec, reference):
    other = simulate(spec, sims=SIMS, seed=8)
    for column in ("entrants", "reoffenders", "outcome", "net", "effect_binary"):
        assert not np.array_equal(other.simulations[column], reference.simulations[column])
    assert other.summary()["provider"]["net"] != reference.summary()["provider"]["net"]


def test_more_simulations_keep_the_full_blocks(spec, reference):
    # a block's numbers depend on its own generator and size only, so the two full
    # blocks of 1,024 are the same in a longer run (the part block is not: its size
    # changed from 452 to 952)
    longer = simulate(spec, sims=3000, seed=7)
    full = 2 * 1024
    pd.testing.assert_frame_equal(longer.simulations.iloc[:full],
                                  reference.simulations.iloc[:full], check_exact=True)


def test_summary_records_how_the_run_was_made(spec, reference):
    s = reference.summary()
    assert s["spec_sha256"] == spec.sha256 and len(s["spec_sha256"]) == 64
    assert s["seed"] == 7 and s["sims"] == SIMS and s["sampling"] == "random"
    assert s["version"] == __version__


def test_spec_hash_changes_with_a_figure(spec):
    changed = load_spec("tr-crc-example", ["payments.1.rates.0.price=3001"])
    assert changed.sha256 != spec.sha256
    nudged = load_spec("tr-crc-example", ["intervention.effect.binary.mean=0.0500001"])
    assert nudged.sha256 != spec.sha256


def test_spec_hash_ignores_how_a_figure_is_written(spec):
    # the same value as an integer or a float is the same validated spec
    assert load_spec("tr-crc-example", ["payments.1.rates.0.price=3000.0"]).sha256 == spec.sha256
    assert load_spec("tr-crc-example", ["payments.1.rates.0.price=3000"]).sha256 == spec.sha256


def test_spec_hash_ignores_comments_and_layout(spec, tmp_path):
    text = resolve("tr-crc-example").read_text(encoding="utf-8")
    stripped = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    annotated = "# a new opening comment\n\n" + text.replace(
        "\n[provider]\n", "\n# a comment before a table\n\n\n[provider]   # and after it\n")
    for name, body in (("stripped.toml", stripped), ("annotated.toml", annotated)):
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        assert path.read_text(encoding="utf-8") != text
        assert load_spec(path).sha256 == spec.sha256, name


# --- Reductions whose rounding could follow the chunk: none may. ---------------------

def _rows(seed: int = 3, n: int = 257, m: int = 97) -> np.ndarray:
    """Cash-flow rows of the kinds a bond sees: an outlay, then irregular returns, some
    whose rate is exactly 0 (what comes back is what went in)."""
    rng = np.random.default_rng(seed)
    flows = np.zeros((n, m))
    flows[:, 0] = -rng.uniform(1e5, 1e7, n)
    flows[:, 1:] = rng.uniform(0, 1, (n, m - 1)) * (rng.uniform(size=(n, m - 1)) < 0.2) * 1e5
    back = flows[:, 1:].sum(axis=1)
    zero = rng.uniform(size=n) < 0.25  # scale the returns to the outlay exactly
    flows[zero, 1:] *= (-flows[zero, 0] / back[zero])[:, None]
    return flows


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_irr_of_a_row_does_not_depend_on_the_rows_beside_it(chunk):
    from pbr_model.finance.irr import irr
    flows = _rows()
    whole = irr(flows)
    parts = np.concatenate([irr(flows[i:i + chunk]) for i in range(0, len(flows), chunk)])
    assert whole.tobytes() == parts.tobytes()


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_cash_figures_of_a_row_do_not_depend_on_the_rows_beside_it(chunk):
    from pbr_model.finance.cash import read_cash
    flows = _rows()
    cash_in, cash_out = np.maximum(flows, 0), np.maximum(-flows, 0)
    whole, _ = read_cash(cash_in, cash_out, 0.035, 1e6)
    parts = [read_cash(cash_in[i:i + chunk], cash_out[i:i + chunk], 0.035, 1e6)[0]
             for i in range(0, len(flows), chunk)]
    for name in whole.__dataclass_fields__:
        joined = np.concatenate([getattr(p, name) for p in parts])
        assert getattr(whole, name).tobytes() == joined.tobytes(), name


SIB_CONTRACTS = ["peterborough-sib", "nyc-able-sib", "nys-ceo-pfs", "ma-roca-pfs"]


@pytest.mark.slow
@pytest.mark.parametrize("contract", SIB_CONTRACTS)
def test_pbr_capital_json_is_identical_at_any_chunk_size(cli, contract):
    """``pbr capital`` on every bundled SIB: the JSON at chunk sizes 1, 7, 1000 and the
    default, byte for byte. 1,100 simulations are two random-number blocks: the smaller
    chunk sizes simulate them in two chunks, the default in one; and the parties' and the
    bond's rows then go one, seven, a thousand or all at a time (every IRR row in a block
    of a different shape)."""

    def run(*chunk: str) -> str:
        r = cli.run("capital", contract, "--sims", "1100", "--seed", "11", "--json", *chunk)
        cli.ok(r)
        return r.stdout

    default = run()
    for size in ("1", "7", "1000"):
        assert run("--chunk-size", size) == default, f"--chunk-size {size}"


def test_a_blocks_counts_generator_is_fixed_by_the_seed_and_block_and_its_own():
    from pbr_model.rng import block_rng, counts_rng
    draw = lambda rng: rng.random(5)  # noqa: E731
    # the same however often it is asked for, and a function of the seed and key only
    a, b = block_rng(7, 3), block_rng(7, 3)
    np.testing.assert_array_equal(draw(counts_rng(a)), draw(counts_rng(a)))
    np.testing.assert_array_equal(draw(counts_rng(a)), draw(counts_rng(b)))
    # not the block's own stream, another block's, a portfolio stream's or their counts'
    others = [block_rng(7, 3), block_rng(7, 4), counts_rng(block_rng(7, 4)),
              block_rng(7, 3, 0), block_rng(7, 3, 1), counts_rng(block_rng(7, 3, 1)),
              counts_rng(block_rng(8, 3))]
    mine = draw(counts_rng(a))
    for other in others:
        assert not np.array_equal(draw(other), mine)


def test_a_blocks_pre_contract_trend_generator_is_its_own():
    from pbr_model.rng import before_rng, block_rng, counts_rng
    draw = lambda rng: rng.random(5)  # noqa: E731
    a = block_rng(7, 3)
    np.testing.assert_array_equal(draw(before_rng(a)), draw(before_rng(block_rng(7, 3))))
    mine = draw(before_rng(a))
    for other in (block_rng(7, 3), counts_rng(block_rng(7, 3)), before_rng(block_rng(7, 4)),
                  before_rng(block_rng(7, 3, 0)), before_rng(block_rng(8, 3))):
        assert not np.array_equal(draw(other), mine)


@pytest.mark.slow
def test_financed_figures_and_facility_are_identical_at_any_chunk_size(cli):
    """The balance after financing, first shortfall month and the facility sized on it
    (``pbr capital --json`` with providers in their own seats), byte for byte."""

    def run(*chunk: str) -> str:
        r = cli.run("capital", "tr-crc-example", "-p", "small-charity", "-p", "national-prime",
                    "--sims", "1100", "--seed", "11", "--json", *chunk)
        cli.ok(r)
        return r.stdout

    default = run()
    assert '"facility"' in default and '"first_shortfall_month"' in default
    for size in ("1", "7", "1000"):
        assert run("--chunk-size", size) == default, f"--chunk-size {size}"


@pytest.mark.parametrize("contract, overrides", [
    # TR draws its 2011 baseline year (baseline_size) and here the area's deviations too
    ("tr-crc-example", ["area.binary_logit_sd=0.1", "area.binary_logit_period_sd=0.05",
                        "area.frequency_log_sd=0.05", "area.frequency_log_period_sd=0.02"]),
    # Roca's DiD pre-period is drawn jointly with the post-period (pre_post_correlation)
    ("ma-roca-pfs", ["area.binary_logit_sd=0.1", "evaluation.pre_period_logit_shift=0.2"]),
])
def test_area_baseline_and_pre_period_draws_do_not_depend_on_chunk_size(contract, overrides):
    spec = load_spec(contract, overrides)
    reference = simulate(spec, sims=1100, seed=3)
    for chunk_size in (7, 1000):
        run = simulate(spec, sims=1100, seed=3, chunk_size=chunk_size)
        pd.testing.assert_frame_equal(run.simulations, reference.simulations, check_exact=True)
        pd.testing.assert_frame_equal(run.cohorts, reference.cohorts, check_exact=True)
        np.testing.assert_array_equal(run.cash_in, reference.cash_in)
