import math
import os
import subprocess
import sys
import sysconfig
from collections import Counter
from pathlib import Path

import pytest
import torch

from posenc.data.corpus import SEPARATOR, load_corpus, stdlib_sources, unigram_entropy


@pytest.fixture(scope="module")
def stdlib_corpus():
    return load_corpus()


def test_stdlib_sources_are_sorted_py_files_without_tests_or_site_packages():
    root = Path(sysconfig.get_paths()["stdlib"])
    files = stdlib_sources()
    assert len(files) > 300
    rel = [f.relative_to(root).as_posix() for f in files]
    assert rel == sorted(rel)
    assert all(r.endswith(".py") for r in rel)
    for r in rel:
        folders = r.split("/")[:-1]
        assert not {"test", "tests", "site-packages", "__pycache__"} & set(folders), r
    assert "os.py" in rel and "json/decoder.py" in rel
    assert stdlib_sources() == files  # deterministic


def test_builtin_corpus_holds_out_whole_files(stdlib_corpus):
    train, held = set(stdlib_corpus.train_files), set(stdlib_corpus.heldout_files)
    assert not train & held
    assert train | held <= set(stdlib_sources())
    share = len(held) / (len(train) + len(held))
    assert 0.05 < share < 0.2  # heldout_fraction 0.1 of the files, by a hash


def test_builtin_corpus_split_is_identical_on_reload(stdlib_corpus):
    again = load_corpus()
    assert again.train_files == stdlib_corpus.train_files
    assert again.heldout_files == stdlib_corpus.heldout_files
    assert torch.equal(again.tokens("heldout"), stdlib_corpus.tokens("heldout"))


def test_tokens_are_the_files_joined_with_the_separator(stdlib_corpus):
    files = stdlib_corpus.heldout_files
    expected = SEPARATOR.join(f.read_bytes() for f in files if f.stat().st_size > 0)
    assert stdlib_corpus.tokens("heldout").tolist() == list(expected)
    per_file = stdlib_corpus.file_tokens("heldout")
    assert [t.tolist() for t in per_file[:3]] == [list(f.read_bytes()) for f in files[:3]]


def test_unknown_split_is_a_clear_error(stdlib_corpus):
    with pytest.raises(ValueError, match="split"):
        stdlib_corpus.tokens("validation")


def _write_folder(root: Path, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        (root / f"doc{i:03d}.txt").write_text(f"document {i}\n" * 20, encoding="utf-8")


def test_folder_split_of_a_file_does_not_change_when_files_are_added(tmp_path):
    _write_folder(tmp_path, 40)
    before = load_corpus(tmp_path, heldout_fraction=0.25)
    _write_folder(tmp_path, 20, start=40)
    after = load_corpus(tmp_path, heldout_fraction=0.25)
    assert set(before.heldout_files) <= set(after.heldout_files)
    assert set(before.train_files) <= set(after.train_files)
    assert not set(after.train_files) & set(after.heldout_files)


def test_folder_corpus_is_read_recursively_and_skips_hidden_and_empty_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.txt").write_text("alpha\n", encoding="utf-8")
    (tmp_path / "sub" / "b.md").write_text("beta\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_bytes(b"\xff\xfe binary")
    (tmp_path / ".git" / "index").write_bytes(b"\x00\x01")
    corpus = load_corpus(tmp_path)
    assert sorted(corpus.train_files + corpus.heldout_files) == [
        tmp_path / "a.txt",
        tmp_path / "sub" / "b.md",
    ]
    assert len(corpus.train_files) == len(corpus.heldout_files) == 1


def test_single_file_corpus_is_cut_into_line_chunks_that_tile_the_file(tmp_path):
    text = "".join(f"line {i}: {'é' * (i % 7)}\n" for i in range(3000))
    path = tmp_path / "book.txt"
    path.write_text(text, encoding="utf-8")
    corpus = load_corpus(path)
    docs = sorted(corpus.documents["train"] + corpus.documents["heldout"], key=lambda d: d.start)
    assert len(docs) == 100
    assert docs[0].start == 0 and docs[-1].stop == len(text.encode())
    assert all(a.stop == b.start for a, b in zip(docs[:-1], docs[1:], strict=True))  # a tiling
    raw = text.encode()
    assert all(raw[d.start - 1 : d.start] == b"\n" for d in docs[1:])  # cut after a newline
    assert 0 < len(corpus.documents["heldout"]) < 30
    assert corpus.train_files == corpus.heldout_files == [path]


def test_single_line_file_is_never_cut_inside_a_character(tmp_path):
    path = tmp_path / "one_line.txt"
    path.write_text("€" * 1000, encoding="utf-8")  # 3 bytes per character, no newline
    corpus = load_corpus(path)
    for split in ("train", "heldout"):
        for t in corpus.file_tokens(split):
            bytes(t.tolist()).decode("utf-8")  # raises if a chunk splits a character


def test_missing_corpus_path_names_the_path(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match="nope"):
        load_corpus(missing)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"caf\xe9 latin-1\n" * 10, "not UTF-8"),
        (b"ab\x00cd\n" * 10, "NUL"),
    ],
)
def test_bad_single_file_is_a_clear_error_naming_it(tmp_path, content, match):
    path = tmp_path / "corpus_file.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load_corpus(path)
    assert "corpus_file.txt" in str(info.value)


def test_folder_with_a_non_utf8_file_names_that_file(tmp_path):
    _write_folder(tmp_path, 3)
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.txt"):
        load_corpus(tmp_path)


def test_empty_folder_and_folder_of_empty_files_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="no files"):
        load_corpus(tmp_path)
    (tmp_path / "a.txt").write_text("")
    with pytest.raises(ValueError, match="only empty files"):
        load_corpus(tmp_path)


def test_folder_with_one_document_cannot_be_split(tmp_path):
    (tmp_path / "only.txt").write_text("hello\n")
    with pytest.raises(ValueError, match="at least 2"):
        load_corpus(tmp_path)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, "0.1"])
def test_heldout_fraction_outside_the_open_unit_interval_is_rejected(tmp_path, fraction):
    with pytest.raises(ValueError, match="heldout_fraction"):
        load_corpus(tmp_path, heldout_fraction=fraction)


def test_unigram_entropy_matches_the_closed_form():
    assert unigram_entropy(torch.tensor([7, 7, 9, 9], dtype=torch.uint8)) == pytest.approx(math.log(2))
    data = b"abracadabra"
    counts = Counter(data)
    expected = -sum(c / len(data) * math.log(c / len(data)) for c in counts.values())
    assert unigram_entropy(torch.tensor(list(data), dtype=torch.uint8)) == pytest.approx(expected)


# ----------------------------------------------------------------------------- issue 18: hangs
def _load_in_a_subprocess(path: Path) -> subprocess.CompletedProcess:
    """load_corpus(path) in a child with a deadline (and 1 GiB of memory): a FIFO read blocks forever,
    /dev/zero never ends, when they are not refused."""
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30)); "
        "from posenc.data import load_corpus; load_corpus(sys.argv[1])"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("kind", "words"), [("fifo", "(a FIFO / named pipe)"), ("/dev/zero", "(a character device)")]
)
def test_a_fifo_or_a_device_as_corpus_is_refused_not_read_forever(tmp_path, kind, words):
    path = Path(kind)
    if kind == "fifo":
        path = tmp_path / "corpus.fifo"
        os.mkfifo(path)
    try:
        done = _load_in_a_subprocess(path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"load_corpus blocked on {kind}")
    assert done.returncode != 0
    assert f"is not a regular file or folder {words}" in done.stderr and "UTF-8 text file" in done.stderr


def test_a_fifo_inside_a_corpus_folder_is_skipped(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(f"document {i}\n" * 50)
    os.mkfifo(tmp_path / "pipe")
    corpus = load_corpus(tmp_path)
    assert sorted(p.name for p in corpus.train_files + corpus.heldout_files) == ["0.txt", "1.txt", "2.txt"]


@pytest.mark.parametrize("path", ["", "   "])
def test_an_empty_corpus_path_is_refused_not_the_current_folder(path):
    with pytest.raises(ValueError, match="--corpus must be a path"):
        load_corpus(path)


def test_the_fingerprint_changes_with_the_heldout_text_only(tmp_path):
    for i in range(12):
        (tmp_path / f"{i:02d}.txt").write_text(f"document {i}\n" * 50)
    first = load_corpus(tmp_path, 0.25)
    again = load_corpus(tmp_path, 0.25)
    assert (
        first.fingerprint("heldout") == again.fingerprint("heldout") and len(first.fingerprint("train")) == 64
    )
    edited = first.heldout_files[0]
    edited.write_text(edited.read_text() + "one more line\n")
    assert load_corpus(tmp_path, 0.25).fingerprint("heldout") != first.fingerprint("heldout")
    assert first.source == str(tmp_path.resolve())
