"""The command line: every subcommand has --help, and the quick jobs run."""

import subprocess
import sys

import pytest

from pointvalue.cli import build_parser, main


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_help_for_every_subcommand(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: pointvalue " + command in capsys.readouterr().out


def test_no_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_config(capsys):
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "isa_variant:" in out and "openmp:" in out


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "pointvalue.cli", "config"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
