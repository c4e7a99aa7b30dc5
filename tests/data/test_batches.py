import warnings
from collections import Counter

import pytest
import torch

from posenc.data.batches import eval_windows, train_batch, window_sources
from posenc.data.corpus import SEPARATOR, load_corpus

# int64 "tokens" whose value is their own position: a window is contiguous iff its values are consecutive
RAMP = torch.arange(5000)


def test_train_batch_windows_are_contiguous_slices_and_y_is_x_shifted():
    x, y = train_batch(RAMP, step=0, batch_size=8, seq_len=32, seed=1)
    assert x.shape == y.shape == (8, 32) and x.dtype == y.dtype == torch.int64
    assert torch.equal(y, x + 1)  # next token of a ramp
    assert torch.equal(x - x[:, :1], torch.arange(32).expand(8, 32))
    assert int(y.max()) < RAMP.numel()


def test_train_batch_accepts_uint8_tokens_and_returns_int64():
    tokens = torch.tensor(list(b"hello world, " * 20), dtype=torch.uint8)
    x, y = train_batch(tokens, step=3, batch_size=2, seq_len=8, seed=0)
    assert x.dtype == torch.int64 and torch.equal(x[:, 1:], y[:, :-1])


@pytest.mark.parametrize(("step", "rank"), [(0, 0), (7, 1), (123456, 3)])
def test_train_batch_is_a_pure_function_of_seed_step_and_rank(step, rank):
    first = train_batch(RAMP, step, 4, 16, seed=5, rank=rank, world_size=4)
    for other_step in (0, 1, 99):  # drawing other batches in between changes nothing
        train_batch(RAMP, other_step, 4, 16, seed=5, rank=rank, world_size=4)
    again = train_batch(RAMP, step, 4, 16, seed=5, rank=rank, world_size=4)
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])


def test_train_batch_differs_between_steps_seeds_and_ranks():
    base = train_batch(RAMP, 10, 4, 16, seed=5, rank=0, world_size=2)[0]
    assert not torch.equal(base, train_batch(RAMP, 11, 4, 16, seed=5, rank=0, world_size=2)[0])
    assert not torch.equal(base, train_batch(RAMP, 10, 4, 16, seed=6, rank=0, world_size=2)[0])
    assert not torch.equal(base, train_batch(RAMP, 10, 4, 16, seed=5, rank=1, world_size=2)[0])


def test_ranks_split_the_global_batch_of_a_one_process_run():
    ranks = [train_batch(RAMP, 4, 3, 16, seed=2, rank=r, world_size=2)[0] for r in range(2)]
    single = train_batch(RAMP, 4, 6, 16, seed=2)[0]
    assert torch.equal(torch.cat(ranks), single)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"seq_len": 5000}, "seq_len"),
        ({"rank": 2, "world_size": 2}, "rank"),
        ({"batch_size": 0}, "batch_size"),
        ({"step": -1}, "step"),
    ],
)
def test_train_batch_bad_arguments_name_the_argument(kwargs, name):
    args = {"step": 0, "batch_size": 2, "seq_len": 8, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=name):
        train_batch(RAMP, **args)


def _files(lengths):
    # file i holds the values i * 100_000 + offset: a window tells its file and offset by itself
    return [torch.arange(n) + 100_000 * i for i, n in enumerate(lengths)]


def _where(window):
    return int(window[0]) // 100_000, int(window[0]) % 100_000


def test_eval_windows_are_identical_on_repeat_calls():
    files = _files([300 + 37 * i for i in range(30)])
    a = eval_windows(files, 50, 40, seed=3)
    b = eval_windows(files, 50, 40, seed=3)
    assert a.shape == (40, 51) and a.dtype == torch.int64
    assert torch.equal(a, b)
    assert not torch.equal(a, eval_windows(files, 50, 40, seed=4))


def test_eval_windows_come_from_as_many_files_as_possible_and_do_not_overlap():
    lengths = [40] * 5 + [120 + 50 * i for i in range(20)]  # 5 files too short for a window of 51
    files = _files(lengths)
    windows = eval_windows(files, 50, 30, seed=0)
    places = [_where(w) for w in windows]
    for w, (i, off) in zip(windows, places, strict=True):
        assert torch.equal(w, torch.arange(off, off + 51) + 100_000 * i)  # a contiguous slice of one file
    used = Counter(i for i, _ in places)
    assert set(used) == set(range(5, 25))  # every long-enough file, none of the short ones
    assert max(used.values()) - min(used.values()) <= 1  # round-robin: a second window only after one each
    for i in used:
        offs = sorted(off for j, off in places if j == i)
        assert all(b - a >= 51 for a, b in zip(offs[:-1], offs[1:], strict=True))  # non-overlapping


def test_eval_windows_fall_back_to_the_joined_files_with_a_warning():
    files = [torch.tensor(list(f"file {i} text\n".encode()), dtype=torch.uint8) for i in range(40)]
    joined = SEPARATOR.join(bytes(f.tolist()) for f in files)
    with pytest.warns(UserWarning, match="joined"):
        windows = eval_windows(files, 31, 8)
    assert windows.shape == (8, 32)
    for w in windows:
        assert bytes(w.tolist()) in joined
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert all(i == -1 for i, _ in window_sources(files, 31, 8))


def test_eval_windows_on_the_builtin_heldout_split_span_many_files():
    corpus = load_corpus()
    files = corpus.file_tokens("heldout")
    texts = [bytes(t.tolist()) for t in files]
    windows = eval_windows(files, 256, 64)
    sources = set()
    for w in windows:
        chunk = bytes(w.tolist())
        sources.add(next(i for i, text in enumerate(texts) if chunk in text))
    assert len(sources) >= 48  # 64 windows, a second window from a file only once every file has one


@pytest.mark.parametrize(("length", "n_windows", "name"), [(0, 4, "length"), (8, 0, "n_windows")])
def test_eval_windows_bad_arguments_name_the_argument(length, n_windows, name):
    with pytest.raises(ValueError, match=name):
        eval_windows(_files([100]), length, n_windows)
