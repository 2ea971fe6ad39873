"""A provider profile as a workbook (``pbr template FILE --from PROFILE``), and a supply
chain naming a profile file (TOML or workbook) relative to its spec."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pbr_model.analyses.capital import capital
from pbr_model.spec import load_spec
from pbr_model.spec.kinds import file_kind
from pbr_model.spec.load import bundled_dir, bundled_providers, load_profile

CONTRACT = bundled_dir() / "tr_crc_example.toml"
CHARITY = bundled_dir() / "providers" / "small_charity.toml"


@pytest.mark.parametrize("name", sorted(bundled_providers()))
def test_a_profile_workbook_reads_back_to_the_same_profile(cli, tmp_path, name):
    book = tmp_path / f"{name}.xlsx"
    cli.ok(cli.run("template", str(book), "--from", name))
    assert file_kind(book) == "profile"
    assert load_profile(book) == load_profile(name)
    result = cli.run("validate", str(book))
    cli.ok(result)
    assert f"(provider profile {load_profile(name).name!r})" in result.stdout


def test_a_profile_workbook_with_set_and_its_problems(cli, tmp_path):
    book = tmp_path / "charity.xlsx"
    cli.ok(cli.run("template", str(book), "--from", str(CHARITY),
                   "--set", "provider.reserves=400000"))
    assert load_profile(book).reserves == 400_000
    import openpyxl
    wb = openpyxl.load_workbook(book)
    ws = wb["provider"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "provider.reserves")
    row[1].value = -5
    wb.save(book)
    cli.error(cli.run("validate", str(book)),
              f"{book}: sheet 'provider', cell {row[1].coordinate}: provider.reserves: Input "
              "should be greater than or equal to 0", lines=1)


def chain_spec(folder: Path, profile: str) -> Path:
    """tr-crc-example with its Tier 2 charity's profile named ``profile``."""
    text = CONTRACT.read_text().replace('profile = "small-charity"', f'profile = "{profile}"')
    assert f'profile = "{profile}"' in text
    (folder / "spec.toml").write_text(text)
    return folder / "spec.toml"


def own_finances(folder: Path, reserves: int) -> Path:
    (folder / "finances").mkdir(exist_ok=True)
    path = folder / "finances" / "charity.toml"
    text = CHARITY.read_text()
    path.write_text(_with_reserves(text, reserves))
    return path


def _with_reserves(text: str, reserves: int) -> str:
    lines = [f"reserves = {reserves}" if line.startswith("reserves") else line
             for line in text.splitlines()]
    assert any(line == f"reserves = {reserves}" for line in lines)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", ["toml", "xlsx"])
def test_a_supply_chain_names_a_profile_file_beside_its_spec(cli, tmp_path, monkeypatch, kind):
    profile = own_finances(tmp_path, 400_000)
    if kind == "xlsx":
        cli.ok(cli.run("template", str(tmp_path / "finances" / "charity.xlsx"),
                       "--from", str(profile)))
    spec = chain_spec(tmp_path, f"finances/charity.{kind}")
    monkeypatch.chdir(tmp_path / "finances")  # read relative to the spec, not the folder run in
    loaded = load_spec(spec)
    bundled = load_spec("tr-crc-example")
    assert loaded.spec.supply_chain[0].profile == f"finances/charity.{kind}"
    assert loaded.sha256 != bundled.sha256  # the file's figures are in the hash
    result = capital(loaded, sims=20)
    charity = next(p for p in result.parties if p.seat.name == "Tier 2 charity")
    assert charity.seat.profile.reserves == 400_000
    assert str(tmp_path / "finances" / f"charity.{kind}") in result.provenance.inputs


def test_the_hash_follows_the_profile_file_and_bundled_chains_keep_theirs(tmp_path):
    profile = own_finances(tmp_path, 400_000)
    spec = chain_spec(tmp_path, "finances/charity.toml")
    first = load_spec(spec).sha256
    profile.write_text(_with_reserves(profile.read_text(), 500_000))
    assert load_spec(spec).sha256 != first
    copy = tmp_path / "bundled.toml"
    shutil.copyfile(CONTRACT, copy)  # names bundled profiles only: the hash as before
    assert load_spec(copy).sha256 == load_spec("tr-crc-example").sha256
    assert load_spec("tr-crc-example").sha256.startswith("61aa8aabc84d")


def test_a_missing_or_bad_profile_file_names_the_file_and_the_field(cli, tmp_path):
    spec = chain_spec(tmp_path, "finances/charity.toml")
    cli.error(cli.run("validate", str(spec)),
              f"{spec}: supply_chain.0.profile: {tmp_path / 'finances' / 'charity.toml'}: no "
              "such file, and no bundled provider profile of that name", lines=1)
    profile = own_finances(tmp_path, 0)
    profile.write_text(_with_reserves(profile.read_text(), 0).replace("reserves = 0",
                                                                       "reserves = -5"))
    cli.error(cli.run("simulate", str(spec), "--sims", "10"),
              f"{spec}: supply_chain.0.profile: {profile}: provider.reserves: Input should be "
              "greater than or equal to 0 (got -5)", lines=1)


def test_a_profile_workbook_given_as_a_contract_says_what_it_is(cli, tmp_path):
    """As a profile's TOML file does: one line naming it and where it goes, not a line for
    each contract field it lacks."""
    book = tmp_path / "charity.xlsx"
    cli.ok(cli.run("template", str(book), "--from", "small-charity"))
    lines = cli.error(cli.run("simulate", str(book)), "is a provider profile", "--provider")
    assert len(lines) == 1


def test_a_loaded_spec_seats_the_profiles_it_read_and_hashed(tmp_path):
    """The supply chain's seats come from the profile files as the spec read (and hashed)
    them when it was loaded, not from a second read: a file changed after loading changes
    neither the seats nor the hash."""
    from pbr_model.analyses.parties import chain_seats
    profile = own_finances(tmp_path, 400_000)
    loaded = load_spec(chain_spec(tmp_path, "finances/charity.toml"))
    profile.write_text(_with_reserves(profile.read_text(), 900_000))
    assert chain_seats(loaded)[1].profile.reserves == 400_000
    assert chain_seats(loaded.spec, tmp_path)[1].profile.reserves == 900_000  # read afresh
    assert load_spec(tmp_path / "spec.toml").sha256 != loaded.sha256


@pytest.mark.parametrize("kind", ["contract workbook", "contract TOML", "portfolio"])
def test_a_contract_or_portfolio_given_as_a_profile_says_what_it_is(cli, tmp_path, kind):
    """The reverse: a contract spec (workbook or TOML) or a portfolio given to --provider or
    as a supply chain entry's profile gets one line saying what it is, not a line for each
    table a profile does not have (0.12.0 gave 15 for a contract workbook)."""
    if kind == "contract workbook":
        given = tmp_path / "contract.xlsx"
        cli.ok(cli.run("template", str(given)))
        said = "is a contract spec workbook (it has a contract sheet)"
    elif kind == "contract TOML":
        given, said = CONTRACT, "is a contract spec (it has a [contract] table)"
    else:
        given = bundled_dir() / "portfolios" / "tr_national.toml"
        said = "is a portfolio (it has a [portfolio] table)"
    refused_as_a_profile(cli, tmp_path, given, f"{given}: {said}, not a provider profile")


def refused_as_a_profile(cli, folder: Path, given: Path, said: str) -> None:
    """``given`` refused in one line ``said``, as --provider and as a supply chain's
    profile."""
    lines = cli.error(cli.run("capital", "tr-crc-example", "--provider", str(given),
                              "--sims", "10"), f"--provider {said}", "pbr providers")
    assert len(lines) == 1
    spec = chain_spec(folder, str(given))
    lines = cli.error(cli.run("validate", str(spec)), f"{spec}: supply_chain.0.profile: {said}")
    assert len(lines) == 1


@pytest.mark.parametrize("command, spec, made", [
    ("simulate", "tr-crc-example", "it was made from tr-crc-example: give that as the SPEC, or "
     "edit a copy written by `pbr template FILE.xlsx --from tr-crc-example`"),
    ("capital", "tr-national", "it was made from the portfolio tr-national: run it with "
     "`pbr capital tr-national`")])
def test_a_results_workbook_given_as_a_spec_says_what_it_is(cli, tmp_path, command, spec, made):
    """A workbook a command's --xlsx wrote, given as a SPEC, as --provider or as a supply
    chain's profile: one line saying it is results and what it was made from (its Summary's
    Source), not a line for each sheet a spec workbook does not have (0.13.0 gave 6)."""
    results = tmp_path / "results.xlsx"
    cli.ok(cli.run(command, spec, "--sims", "20", "--xlsx", str(results)))
    what = (f"{results}: is a results workbook (its Summary sheet is what a command's --xlsx "
            "writes), not a")
    for args in (["simulate", str(results)], ["validate", str(results)],
                 ["template", str(tmp_path / "copy.xlsx"), "--from", str(results)]):
        lines = cli.error(cli.run(*args), f"{what} contract spec; {made}")
        assert len(lines) == 1
    assert not (tmp_path / "copy.xlsx").exists()
    refused_as_a_profile(cli, tmp_path, results, f"{what} provider profile")


def test_a_results_workbook_that_does_not_say_its_source_still_gets_one_line(cli, tmp_path):
    """Without a Source row (cut out by hand), the line says how to find or make a spec."""
    from openpyxl import load_workbook
    results = tmp_path / "results.xlsx"
    cli.ok(cli.run("simulate", "--sims", "20", "--xlsx", str(results)))
    book = load_workbook(results)
    book["Summary"]["A3"] = None
    book.save(results)
    lines = cli.error(cli.run("simulate", str(results)), "is a results workbook",
                      "give the spec it was made from, or edit one written by "
                      "`pbr template FILE.xlsx --from SPEC`")
    assert len(lines) == 1


def test_a_portfolio_hash_and_inputs_follow_its_areas_profile_files(tmp_path):
    """An area whose supply chain reads a profile file: the portfolio's hash and the area's
    (under the portfolio's own trend) change with a figure in that file, and the file is
    one of the portfolio's inputs; an area naming bundled profiles keeps its hash."""
    from pbr_model.spec.portfolio import load_portfolio

    profile = own_finances(tmp_path, 400_000)
    chain_spec(tmp_path, "finances/charity.toml")
    portfolio = tmp_path / "portfolio.toml"
    portfolio.write_text('[portfolio]\nname = "p"\n[owner]\nprofile = "national-prime"\n'
                         '[trend]\nbinary_logit_drift = -0.001\n'
                         '[[areas]]\nname = "A"\nspec = "spec.toml"\n'
                         '[[areas]]\nname = "B"\nspec = "tr-crc-example"\n')
    first = load_portfolio(portfolio)
    own = load_spec(tmp_path / "spec.toml")
    assert first.areas[0].spec.spec.trend != own.spec.trend      # the portfolio's trend
    assert first.areas[0].spec.profile_files == own.profile_files
    assert str(profile) in first.inputs
    profile.write_text(_with_reserves(profile.read_text(), 500_000))
    second = load_portfolio(portfolio)
    assert second.sha256 != first.sha256
    assert second.areas[0].spec.sha256 != first.areas[0].spec.sha256
    assert second.areas[1].spec.sha256 == first.areas[1].spec.sha256


def test_another_workbook_with_a_summary_sheet_is_not_called_results(cli, tmp_path):
    """Only a workbook whose Summary carries pbr's provenance (a pbr-model version row) is
    said to be pbr's results; another with a Summary and a Source row gets the loader's
    own words, not "it was made from" someone else's text."""
    from openpyxl import Workbook
    book = Workbook()
    book.active.title = "Summary"
    book.active["A3"], book.active["B3"] = "Source", "the board's paper"
    path = tmp_path / "board.xlsx"
    book.save(path)
    lines = cli.error(cli.run("validate", str(path)), "sheet 'Summary': unknown sheet")
    assert not any("results workbook" in line or "made from" in line for line in lines)


def test_a_template_written_elsewhere_still_finds_the_chains_profile_files(cli, tmp_path):
    # a new user's test drive: `pbr template "Bids 2025/copy.xlsx" --from bid.xlsx` copied
    # the profile file's name as written, relative to bid.xlsx's folder, so the copy named
    # a file that is not beside it
    own_finances(tmp_path, 400_000)
    spec = chain_spec(tmp_path, "finances/charity.toml")
    (tmp_path / "Bids 2025").mkdir()
    copy = tmp_path / "Bids 2025" / "copy.xlsx"
    cli.ok(cli.run("template", str(copy), "--from", str(spec)))
    loaded = load_spec(copy)
    assert loaded.spec.supply_chain[0].profile == "../finances/charity.toml"
    charity = next(p for p in capital(loaded, sims=20).parties
                   if p.seat.name == "Tier 2 charity")
    assert charity.seat.profile.reserves == 400_000
    # written beside the spec, the name stays as it was
    beside = tmp_path / "beside.xlsx"
    cli.ok(cli.run("template", str(beside), "--from", str(spec)))
    assert load_spec(beside).spec.supply_chain[0].profile == "finances/charity.toml"
