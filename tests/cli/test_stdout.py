"""Standard output that cannot be written, with the installed ``pbr``: a reader that went
away (``pbr ... | head``) ends the command quietly with exit code 141, as SIGPIPE would; a
full disk under ``> file`` is one ``Error:`` line and exit code 2. Neither is reported as a
bug in pbr (until 0.22.0 both were "internal error ... exit 1", or a traceback, found by a
user's test drive), and an ``OSError`` that is not standard output's still is one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pbr_model.cli.app import EXIT_BUG, EXIT_INPUT, EXIT_PIPE

PBR = Path(sys.executable).with_name("pbr")

# Each way a command prints: a rich table, rich text, JSON, TOML, a list.
COMMANDS = [
    ["simulate", "--sims", "200", "--json"],
    ["simulate", "--sims", "200"],
    ["capital", "--sims", "200"],
    ["show", "tr-crc-example", "--toml"],
    ["show"],
    ["list"],
    ["validate", "tr-crc-example"],
    ["schema"],
    ["--version"],
    ["--help"],
    ["settle", "--help"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_a_closed_reader_ends_the_command_quietly(argv, tmp_path):
    # the pipe's only reader is closed before pbr writes, so its first write fails (EPIPE)
    proc = subprocess.Popen([str(PBR), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, cwd=tmp_path)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == EXIT_PIPE == 141, err
    assert err == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_a_full_disk_is_one_error_line(argv, tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(PBR), *argv], stdout=full, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, cwd=tmp_path, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == EXIT_INPUT, err
    assert err.splitlines() == ["Error: cannot write to standard output: No space left on "
                                "device"]


def test_another_full_disk_is_not_called_standard_outputs(cli, monkeypatch):
    # a full /dev/shm under a worker pool, say: not standard output, so not said to be
    import errno
    from pbr_model.cli import show

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(show, "show", full)
    result = cli.run("show", "tr-crc-example")
    assert result.exit_code == EXIT_BUG, result.output
    assert result.stderr.startswith("Error: internal error, a bug in pbr")
    assert "standard output" not in result.stderr


def test_the_library_console_raises_a_broken_pipe_instead_of_ending_the_process():
    # rich's own Console ends the whole process (SystemExit 1) on a broken pipe; a program
    # using pbr's console gets the error to decide on
    import io

    from pbr_model.report.terminal import LiteralConsole

    class Closed(io.StringIO):
        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    console = LiteralConsole(file=Closed())
    with pytest.raises(BrokenPipeError):
        console.print("a line")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_after_files_were_written_names_them(tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(PBR), "simulate", "--sims", "200", "--json", "--xlsx",
                               str(tmp_path / "run.xlsx")], stdout=full, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, cwd=tmp_path, timeout=300)
    lines = proc.stderr.decode().splitlines()
    assert proc.returncode == EXIT_INPUT, lines
    assert lines[0] == "Error: cannot write to standard output: No space left on device"
    assert lines[1:] == [f"Error: written before that, each whole: {tmp_path / 'run.xlsx'}; "
                         "nothing else was written"]
    assert (tmp_path / "run.xlsx").stat().st_size > 0
