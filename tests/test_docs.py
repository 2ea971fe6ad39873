"""Docs and examples stay in step with the code (as sqlite-utils' test_docs does)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pbr_model.spec.reference import markdown_reference

ROOT = Path(__file__).resolve().parents[1]


def test_contract_spec_reference_is_current():
    text = (ROOT / "docs" / "contract-spec.md").read_text()
    section = text.split("<!-- fields:start -->\n", 1)[1].split("<!-- fields:end -->", 1)[0]
    assert section == markdown_reference(), (
        "docs/contract-spec.md is stale: regenerate the fields section with "
        "`pbr schema --markdown`"
    )


def test_every_spec_field_is_documented():
    text = (ROOT / "docs" / "contract-spec.md").read_text()
    from pbr_model import load_spec
    from pbr_model.spec.fields import flatten

    for row in flatten(load_spec("tr-crc-example").spec):
        leaf = row.path.rsplit(".", 1)[-1]
        assert f"`{leaf}`" in text, row.path


def test_readme_opens_with_two_command_quickstart():
    text = (ROOT / "README.md").read_text()
    quick = re.search(r"## Quickstart\n(.*?)\n## ", text, re.S)
    assert quick, "README needs a '## Quickstart' section"
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", quick.group(1), re.S)
    commands = [line for b in blocks for line in b.strip().splitlines() if line.strip()]
    assert len(commands) == 2, commands
    assert "pbr simulate" in commands[0]
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci, ".ci/run must run the README's test command"


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_example_runs(script):
    done = subprocess.run([sys.executable, str(script), "300"], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_readme_worked_example_is_real_output():
    """The README's example is what `pbr simulate` prints today (golden output)."""
    import io

    from rich.console import Console

    from pbr_model import load_spec, simulate
    from pbr_model.report.simulate import simulation_summary

    text = (ROOT / "README.md").read_text()
    block = re.search(r"## A worked example\n.*?```\n(.*?)```", text, re.S).group(1)
    console = Console(file=io.StringIO(), width=90, color_system=None)
    console.print(simulation_summary(simulate(load_spec("tr-crc-example"))))
    printed = "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())
    assert printed.strip() == block.strip(), (
        "README example is stale: paste the output of `COLUMNS=90 pbr simulate`")


@pytest.mark.slow
def test_readme_library_snippet_runs(monkeypatch):
    """The README's library example is real code: run it (from the repository root, where
    its example file paths resolve)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## The library", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})


def test_every_provider_profile_field_is_documented():
    from pbr_model.spec.parties import ProviderProfile, Subcontract

    text = (ROOT / "docs" / "finance.md").read_text()
    for model in (ProviderProfile, Subcontract):
        for name in model.model_fields:
            if name not in ("name", "description", "profile"):
                assert f"`{name}`" in text, (model.__name__, name)


def test_contract_spec_skeleton_validates():
    import tomllib

    from pbr_model.spec import validate

    text = (ROOT / "docs" / "contract-spec.md").read_text()
    skeleton = re.search(r"## Skeleton\n\n```toml\n(.*?)```", text, re.S).group(1)
    validate(tomllib.loads(skeleton), "docs/contract-spec.md skeleton")


def test_validation_cites_current_spec_hashes():
    """Each contract section of docs/validation.md names its bundled spec's hash (a stale
    hash means the figures may be of another spec); commands' own hashes are checked by
    tests/test_docs_run.py."""
    from pbr_model import load_spec

    text = (ROOT / "docs" / "validation.md").read_text()
    cited = re.findall(r"\(`([a-z0-9-]+)`, spec ([0-9a-f]{12})\)", text)
    assert len(cited) >= 6
    stale = [(name, h, load_spec(name).sha256[:12]) for name, h in cited
             if load_spec(name).sha256[:12] != h]
    assert not stale, stale


def test_validation_names_the_current_version():
    """docs/validation.md says which version its figures hold for: the current one."""
    from pbr_model import __version__

    text = (ROOT / "docs" / "validation.md").read_text()
    section = text.split("## How the figures were made", 1)[1].split("\n\n", 2)[1]
    assert __version__ in section, (
        f"docs/validation.md does not say its figures hold for {__version__}: re-run the "
        "golden comparison and say so")
