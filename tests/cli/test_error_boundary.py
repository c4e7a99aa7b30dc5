"""The `posenc` command's boundary: an error a user can cause is one line and a non-zero exit.

One test per class of error (not per example): OS errors of every kind, numbers too large, input
nested too deeply, failed allocations, the library's ValueError/RuntimeError, and a closed pipe,
which ends quietly. POSENC_DEBUG=1 (a yes-like value only) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import types

import pytest

from posenc import cli


@pytest.fixture
def command(monkeypatch):
    """Install a fake sub-command `boom` whose run() raises what the test says."""

    def install(error: BaseException):
        module = types.ModuleType("posenc_fake_boom")
        module.add_arguments = lambda parser: None

        def run(args: argparse.Namespace) -> int:
            raise error

        module.run = run
        monkeypatch.setitem(sys.modules, "posenc_fake_boom", module)
        monkeypatch.setitem(cli.COMMANDS, "boom", ("posenc_fake_boom", "raises"))

    monkeypatch.delenv("POSENC_DEBUG", raising=False)
    return install


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (FileNotFoundError(2, "No such file or directory", "/x.json"), "No such file or directory: /x.json"),
        (OSError(36, "File name too long", "a" * 300), "File name too long: aaa"),
        (OSError(40, "Too many levels of symbolic links", "loop"), "Too many levels of symbolic links: loop"),
        (IsADirectoryError(21, "Is a directory", "plots/"), "Is a directory: plots/"),
        (PermissionError(13, "Permission denied", "/root/x"), "Permission denied: /root/x"),
        (OverflowError("cannot convert float infinity to integer"), "a number is too large to use"),
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (MemoryError(), "out of memory"),
        (RuntimeError("[enforce fail] DefaultCPUAllocator: can't allocate memory"), "out of memory"),
        (ValueError("--lr must be finite, got inf\nsecond line"), "--lr must be finite, got inf"),
        (RuntimeError("Expected one of cpu, cuda device type at start of: x"), "Expected one of cpu"),
    ],
)  # fmt: skip
def test_each_class_of_user_error_is_one_line_and_exit_2(command, capsys, error, expected):
    command(error)
    assert cli.main(["boom"]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("posenc boom: error: ") and expected in lines[0]
    assert "Traceback" not in err and out == ""


def test_a_bug_is_not_disguised_as_a_user_error(command):
    command(KeyError("internal"))
    with pytest.raises(KeyError):
        cli.main(["boom"])


@pytest.mark.parametrize("value", ["1", "true", "yes", "ON"])
def test_posenc_debug_shows_the_traceback(command, monkeypatch, value):
    command(ValueError("bad"))
    monkeypatch.setenv("POSENC_DEBUG", value)
    with pytest.raises(ValueError, match="bad"):
        cli.main(["boom"])


@pytest.mark.parametrize("value", ["0", "", "no", "false"])
def test_posenc_debug_off_values_keep_the_one_line(command, monkeypatch, capsys, value):
    command(ValueError("bad"))
    monkeypatch.setenv("POSENC_DEBUG", value)
    assert cli.main(["boom"]) == 2
    assert "error: bad" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly():
    """`posenc inspect X --json | head -c 10` with a reader that closes at once: no traceback."""
    code = (
        "import sys; from posenc.cli import main; "
        "sys.exit(main(['inspect', 'llama-3.1-8b', '--json']))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader goes away before the writer writes
    err = proc.stderr.read().decode()
    rc = proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert rc in (0, 141)
