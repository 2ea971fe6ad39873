"""``pbr show NAME --toml > my.toml`` copies a bundled file as written; ``pbr list`` says
where each bundled file lives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pbr_model.spec import load_spec
from pbr_model.spec.kinds import bundled_files
from pbr_model.spec.load import bundled_dir, load_profile
from pbr_model.spec.portfolio import load_portfolio

CONTRACTS = sorted(bundled_files()["contract"])


@pytest.mark.parametrize("name", CONTRACTS)
def test_a_contract_copied_loads_to_the_same_spec(cli, tmp_path, name):
    result = cli.run("show", name, "--toml")
    cli.ok(result)
    path = bundled_files()["contract"][name]
    assert result.stdout == path.read_text(encoding="utf-8")  # comments and all
    assert "# Sources:" in result.stdout
    copy = tmp_path / "my.toml"
    copy.write_text(result.stdout, encoding="utf-8")
    assert load_spec(copy).sha256 == load_spec(name).sha256


def test_a_portfolio_and_a_profile_copied_load_the_same(cli, tmp_path):
    for name, load, same in (("working-links-like", load_portfolio, lambda p: p.sha256),
                             ("small-charity", load_profile, lambda p: p)):
        result = cli.run("show", name, "--toml")
        cli.ok(result)
        copy = tmp_path / f"{name}.toml"
        copy.write_text(result.stdout, encoding="utf-8")
        assert same(load(copy)) == same(load(name)), name


def test_a_file_is_printed_as_written(cli, tmp_path):
    text = ('# my notes\r\n[contract]\r\nname = "x" # why\r\n')  # line ends kept too
    path = tmp_path / "odd.toml"
    path.write_bytes(text.encode())
    result = cli.run("show", str(path), "--toml")
    cli.ok(result)
    assert result.stdout_bytes == text.encode()  # (CliRunner.stdout turns \r\n into \n)


def test_toml_refuses_set_and_json_and_workbooks(cli, tmp_path):
    cli.error(cli.run("show", "tr-crc-example", "--toml", "--set", "contract.name=x"),
              "--toml prints tr-crc-example as written, so --set contract.name=x cannot be "
              "applied", lines=1)
    cli.error(cli.run("show", "tr-crc-example", "--toml", "--json"), "--toml and --json",
              lines=1)
    book = tmp_path / "spec.xlsx"
    book.write_bytes(b"PK\x03\x04")
    cli.error(cli.run("show", str(book), "--toml"), f"{book}: is a workbook, not a TOML file",
              lines=1)
    cli.error(cli.run("show", "no-such-contract", "--toml"), "no-such-contract: no such file",
              lines=1)
    bad = tmp_path / "bad.toml"
    bad.write_text("[contract\n")
    cli.error(cli.run("show", str(bad), "--toml"), f"{bad}: not valid TOML", lines=1)


def test_list_shows_every_bundled_file_and_its_folder(cli):
    result = cli.runner.invoke(cli_app(), ["list"], env={"COLUMNS": "200"})
    cli.ok(result)
    folder = bundled_dir()
    assert f"The folder they are in:\n{folder}\n" in result.stdout
    for kind, files in bundled_files().items():
        for name, path in files.items():
            assert name in result.stdout
            relative = path.relative_to(folder).as_posix()
            assert relative in result.stdout and (folder / relative).is_file()
    assert "providers/small_charity.toml" in result.stdout
    assert "portfolios/tr_national.toml" in result.stdout


def cli_app():
    from pbr_model.cli import app
    return app


PBR = shutil.which("pbr") or str(Path(sys.executable).with_name("pbr"))


@pytest.mark.skipif(not Path(PBR).exists(), reason="the pbr command is not installed")
def test_installed_pbr_redirected_to_a_file(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    with open(tmp_path / "my.toml", "wb") as f:
        subprocess.run([PBR, "show", "peterborough-sib", "--toml"], stdout=f, env=env,
                       check=True, cwd=tmp_path)
    assert ((tmp_path / "my.toml").read_bytes()
            == bundled_files()["contract"]["peterborough-sib"].read_bytes())
    bad = subprocess.run([PBR, "show", "peterborough-sib", "--toml", "--json"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("Error: --toml and --json")
