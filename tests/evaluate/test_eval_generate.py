"""Sampling: the requested number of bytes, deterministic per seed, clear errors."""

import pytest

from posenc.evaluate.generate import MAX_NEW_TOKENS, generate_text
from posenc.train.checkpoint import load_model


@pytest.mark.parametrize("n", [1, 37, 100])  # 100 > L = 64: RoPE runs past its training length
def test_generate_returns_the_requested_number_of_bytes(rope_run, n):
    model, _ = load_model(rope_run)
    text, new = generate_text(model, "def ", n, temperature=0.8, top_k=50, seed=0)
    assert new.shape == (n,)
    assert int(new.min()) >= 0 and int(new.max()) < 256


def test_generate_is_deterministic_for_a_seed(rope_run):
    model, _ = load_model(rope_run)
    a = generate_text(model, "import ", 40, seed=7)[1]
    b = generate_text(model, "import ", 40, seed=7)[1]
    c = generate_text(model, "import ", 40, seed=8)[1]
    assert a.tolist() == b.tolist()
    assert a.tolist() != c.tolist()  # an untrained model spreads its mass: other seeds sample other bytes


def test_greedy_is_the_same_whatever_the_seed(rope_run):
    model, _ = load_model(rope_run)
    assert (
        generate_text(model, "x", 10, temperature=0, seed=1)[1].tolist()
        == generate_text(model, "x", 10, temperature=0, seed=2)[1].tolist()
    )


def test_learned_positions_beyond_the_table_are_refused_by_name(learned_run):
    model, _ = load_model(learned_run)
    generate_text(model, "ab", 63, seed=0)  # reads positions 0 .. 63: the whole table, fine
    with pytest.raises(ValueError, match="--max-new-tokens"):
        generate_text(model, "ab", 64, seed=0)


def test_empty_prompt_is_refused(rope_run):
    model, _ = load_model(rope_run)
    with pytest.raises(ValueError, match="--prompt"):
        generate_text(model, "", 5)


# ----------------------------------------------------------------------------- issue 18: hangs, nonsense
def test_the_text_is_streamed_in_pieces_that_join_to_the_result(rope_run):
    model, _ = load_model(rope_run)
    pieces = []
    text, new = generate_text(model, "def ", 60, seed=3, on_text=pieces.append)
    assert "".join(pieces) == text and len(pieces) > 10  # one piece per whole character, as it comes


@pytest.mark.parametrize("n", [MAX_NEW_TOKENS + 1, 100_000_000])
def test_a_huge_max_new_tokens_is_refused_at_once_with_the_cap(rope_run, n):
    model, _ = load_model(rope_run)
    with pytest.raises(ValueError, match=f"--max-new-tokens {n} is more than {MAX_NEW_TOKENS}"):
        generate_text(model, "x", n)


@pytest.mark.parametrize("temperature", [float("inf"), float("nan"), -1.0, True])
def test_a_temperature_that_is_not_a_finite_number_is_refused(rope_run, temperature):
    model, _ = load_model(rope_run)
    with pytest.raises(ValueError, match="--temperature must be a finite number"):
        generate_text(model, "x", 3, temperature=temperature)


def test_a_tiny_temperature_is_greedy_not_nan(rope_run):
    model, _ = load_model(rope_run)
    tiny = generate_text(model, "x", 10, temperature=1e-45, seed=1)[1]
    assert tiny.tolist() == generate_text(model, "x", 10, temperature=0)[1].tolist()


def test_generate_streams_to_a_pipe_before_it_ends(rope_run):
    """A reader sees the first bytes while generation runs (flushed per piece, not printed at the end)."""
    import subprocess
    import sys
    import time

    argv = [sys.executable, "-m", "posenc", "generate", str(rope_run), "--prompt", "ab"]
    proc = subprocess.Popen([*argv, "--max-new-tokens", str(MAX_NEW_TOKENS)], stdout=subprocess.PIPE)
    try:
        t0 = time.monotonic()
        first = proc.stdout.read(4)  # the prompt and the first sampled bytes
        assert first.startswith(b"ab") and proc.poll() is None, "output came only at the end"
        assert time.monotonic() - t0 < 60
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("temperature", [1e-300, 5e-324, 1e-46])
def test_a_temperature_below_float32_is_refused_naming_the_flag(rope_run, temperature):
    """Issue 37: 1e-300 rounds to 0 in float32 and torch said "probability tensor contains inf/nan"."""
    model, _ = load_model(rope_run)
    with pytest.raises(ValueError, match=r"--temperature .* below the smallest float32.*use 0 for greedy"):
        generate_text(model, "x", 3, temperature=temperature)


def test_the_generate_command_refuses_a_sub_float32_temperature_before_loading(rope_run, capsys):
    from posenc.cli import main

    assert main(["generate", str(rope_run), "--prompt", "x", "--temperature", "1e-300"]) != 0
    err = capsys.readouterr().err
    assert "--temperature" in err and "inf/nan" not in err
