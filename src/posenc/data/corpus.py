"""Corpora: the built-in Python-standard-library corpus, or any UTF-8 text file / folder.

A corpus is a list of *documents* split into a training and a held-out part **by document**
(never by offset), so no held-out text was ever seen in training, not even a neighbouring
line. A document is a whole file; a corpus given as one single file is cut into
``SINGLE_FILE_CHUNKS`` chunks at line boundaries, and the chunks are the documents.

Which documents are held out is decided by a hash of their name (the path relative to the
corpus root, or ``"<file>#<chunk index>"``): the split is the same on every machine and
does not change when other files are added or removed.

Tokens are bytes (``posenc.data.tokenizer``); documents are joined with ``SEPARATOR``.
"""

from __future__ import annotations

import hashlib
import stat
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from posenc.data.tokenizer import bytes_to_tokens

#: bytes placed between two documents in ``Corpus.tokens`` (a blank line, natural in code and prose)
SEPARATOR = b"\n\n"
#: folders of the standard library left out of the built-in corpus: third-party packages, the huge
#: and odd regression-test suites, and the build folder (``config-3.11-x86_64-linux-gnu``)
EXCLUDED_STDLIB_DIRS = frozenset(
    {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}
)
#: a corpus that is a single file is cut into this many chunks (at line boundaries) before the split
SINGLE_FILE_CHUNKS = 100
SPLITS = ("train", "heldout")


def stdlib_root() -> Path:
    """The folder of the running Python's standard library (``sysconfig.get_paths()["stdlib"]``)."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_sources() -> list[Path]:
    """The standard library's ``.py`` files, sorted by path relative to the stdlib folder.

    Leaves out ``EXCLUDED_STDLIB_DIRS`` and the platform build folder ``config-*``, so the list is
    the same on every machine with the same Python version (734 files, 12.1 MB on CPython 3.11).
    """
    root = stdlib_root()
    files = []
    for path in root.rglob("*.py"):
        folders = path.relative_to(root).parts[:-1]
        if any(part in EXCLUDED_STDLIB_DIRS or part.startswith("config-") for part in folders):
            continue
        if path.is_file():
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


@dataclass(frozen=True)
class Document:
    """A byte range ``[start, stop)`` of a file; ``key`` names it for the held-out hash."""

    path: Path
    key: str
    start: int = 0
    stop: int | None = None  # None: to the end of the file


@dataclass
class Corpus:
    """A corpus split by document into ``"train"`` and ``"heldout"``.

    ``train_files`` / ``heldout_files`` never share a file, except for a single-file corpus
    (both then list that one file; its chunks are split instead). ``documents`` holds the
    documents of each split; when left empty it is one whole-file document per listed file.
    """

    name: str
    train_files: list[Path]
    heldout_files: list[Path]
    documents: dict[str, list[Document]] = field(default_factory=dict, repr=False)
    #: what was loaded: the resolved path of a user file or folder, or "built-in stdlib-3.X"
    source: str = ""
    _doc_tokens: dict[str, list[Tensor]] = field(default_factory=dict, repr=False, compare=False)
    _tokens: dict[str, Tensor] = field(default_factory=dict, repr=False, compare=False)
    _fingerprints: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def _check_split(self, split: str) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")

    def file_tokens(self, split: str) -> list[Tensor]:
        """Tokens of each document of ``split``: a list of uint8 [n_i] (for evaluation windows)."""
        self._check_split(split)
        if split not in self._doc_tokens:
            docs = self.documents.get(split)
            if not docs:
                files = self.train_files if split == "train" else self.heldout_files
                docs = [Document(Path(f), Path(f).name) for f in files]
            self._doc_tokens[split] = [_read_document(doc) for doc in docs]
        return self._doc_tokens[split]

    def tokens(self, split: str) -> Tensor:
        """uint8 [n]: the documents of ``split`` joined with ``SEPARATOR``; cached in memory."""
        self._check_split(split)
        if split not in self._tokens:
            sep = bytes_to_tokens(SEPARATOR)
            parts: list[Tensor] = []
            for i, doc in enumerate(self.file_tokens(split)):
                parts += [sep, doc] if i else [doc]
            self._tokens[split] = torch.cat(parts) if parts else torch.empty(0, dtype=torch.uint8)
        return self._tokens[split]

    def fingerprint(self, split: str) -> str:
        """SHA-256 (hex) of the tokens of ``split``: the identity of the text an evaluation reads.

        Two corpora with the same fingerprint give the same windows and passkey prompts; an edited,
        replaced or differently split corpus gives another one (cached results are then stale)."""
        self._check_split(split)
        if split not in self._fingerprints:
            self._fingerprints[split] = hashlib.sha256(self.tokens(split).numpy().tobytes()).hexdigest()
        return self._fingerprints[split]


def load_corpus(path: str | Path | None = None, heldout_fraction: float = 0.1) -> Corpus:
    """Load a corpus and split it by document.

    path: ``None`` for the built-in corpus (``stdlib_sources()``); a UTF-8 text file (cut into
    ``SINGLE_FILE_CHUNKS`` chunks); or a folder, read recursively (hidden files and folders,
    those whose name starts with ``.``, and ``__pycache__`` are skipped; empty files too).
    heldout_fraction: expected share of documents held out, in (0, 1); both splits always get
    at least one document.

    Raises ``FileNotFoundError`` for a missing path and ``ValueError`` naming the path when it is
    empty (``""`` would be the current folder), is neither a regular file nor a folder (a FIFO or a
    device would block or never end), holds no text, or a file is not UTF-8 text (or contains NUL bytes).
    """
    if not isinstance(heldout_fraction, (int, float)) or not 0.0 < heldout_fraction < 1.0:
        raise ValueError(f"heldout_fraction must be a number in (0, 1), got {heldout_fraction!r}")
    if path is None:
        root = stdlib_root()
        docs = []
        for file in stdlib_sources():
            data = file.read_bytes()
            if data and _is_text(data):  # a stdlib file that is not UTF-8 (none in 3.11) is left out
                docs.append((Document(file, file.relative_to(root).as_posix()), data))
        name = f"stdlib-{sys.version_info.major}.{sys.version_info.minor}"
        source = f"built-in {name}"
    else:
        if not isinstance(path, (str, Path)) or not str(path).strip():
            raise ValueError(
                f"--corpus must be a path to a UTF-8 text file or folder, got {path!r} (an empty path "
                "would read the current folder)"
            )
        path = Path(path).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"corpus path {str(path)!r} does not exist")
        if not (path.is_dir() or path.is_file()):
            raise ValueError(
                f"corpus path {str(path)!r} is not a regular file or folder ({_file_kind(path)}); reading it "
                "could block forever: give a UTF-8 text file or a folder of them"
            )
        name, source = path.resolve().name, str(path.resolve())
        docs = _folder_documents(path) if path.is_dir() else _single_file_documents(path)
    if len(docs) < 2:
        raise ValueError(
            f"corpus {name!r} has {len(docs)} non-empty document(s); at least 2 are needed to hold one "
            "out for evaluation"
        )
    split = _split_by_hash([doc for doc, _ in docs], heldout_fraction)
    corpus = Corpus(
        name=name,
        train_files=_unique_paths(split["train"]),
        heldout_files=_unique_paths(split["heldout"]),
        documents=split,
        source=source,
    )
    data_of = {doc: data for doc, data in docs}  # already read: keep the tokens, read nothing twice
    for s in SPLITS:
        corpus._doc_tokens[s] = [bytes_to_tokens(data_of[doc][doc.start : doc.stop]) for doc in split[s]]
    return corpus


def _file_kind(path: Path) -> str:
    """What a path that is neither a regular file nor a folder is, in words."""
    mode = path.stat().st_mode
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO / named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_text_file(path: Path) -> bytes:
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError(f"corpus file {str(path)!r} is not text (it contains NUL bytes)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"corpus file {str(path)!r} is not UTF-8 text (byte 0x{data[err.start]:02x} at offset "
            f"{err.start}); convert it to UTF-8 or remove it from the corpus"
        ) from None
    return data


def _folder_documents(root: Path) -> list[tuple[Document, bytes]]:
    files = []
    for file in root.rglob("*"):
        parts = file.relative_to(root).parts
        if any(p.startswith(".") or p == "__pycache__" for p in parts) or not file.is_file():
            continue
        files.append(file)
    files.sort(key=lambda f: f.relative_to(root).as_posix())
    if not files:
        raise ValueError(f"corpus folder {str(root)!r} holds no files")
    docs = []
    for file in files:
        data = _read_text_file(file)
        if data:
            docs.append((Document(file, file.relative_to(root).as_posix()), data))
    if not docs:
        raise ValueError(f"corpus folder {str(root)!r} holds only empty files")
    return docs


def _single_file_documents(file: Path) -> list[tuple[Document, bytes]]:
    data = _read_text_file(file)
    if not data.strip():
        raise ValueError(f"corpus file {str(file)!r} is empty")
    cuts = [0]
    for i in range(1, SINGLE_FILE_CHUNKS):
        target = max(len(data) * i // SINGLE_FILE_CHUNKS, cuts[-1])
        newline = data.rfind(b"\n", cuts[-1], target)
        cut = newline + 1 if newline >= 0 else target
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # never cut inside a UTF-8 character
            cut += 1
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(len(data))
    return [
        (Document(file, f"{file.name}#{i}", start, stop), data)
        for i, (start, stop) in enumerate(zip(cuts[:-1], cuts[1:], strict=True))
        if stop > start
    ]


def _hash_unit(key: str) -> float:
    """A deterministic pseudo-random number in [0, 1) from ``key`` (SHA-256, machine independent)."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16) / 2.0**64


def _split_by_hash(docs: list[Document], heldout_fraction: float) -> dict[str, list[Document]]:
    u = {doc: _hash_unit(doc.key) for doc in docs}
    heldout = [d for d in docs if u[d] < heldout_fraction]
    if not heldout:  # tiny corpora: hold out the document with the smallest hash
        heldout = [min(docs, key=u.__getitem__)]
    if len(heldout) == len(docs):
        heldout.remove(max(heldout, key=u.__getitem__))
    held = set(heldout)
    return {"train": [d for d in docs if d not in held], "heldout": [d for d in docs if d in held]}


def _unique_paths(docs: list[Document]) -> list[Path]:
    return list(dict.fromkeys(doc.path for doc in docs))


def _read_document(doc: Document) -> Tensor:
    return bytes_to_tokens(_read_text_file(doc.path)[doc.start : doc.stop])


def unigram_entropy(tokens: Tensor) -> float:
    """Entropy of the byte distribution of ``tokens`` (uint8 [n]) in nats: -sum p log p.

    The loss of the best model that ignores context; a language model must get below it.
    """
    counts = torch.bincount(tokens.flatten().long(), minlength=256).double()
    p = counts[counts > 0] / counts.sum()
    return float(-(p * p.log()).sum())


__all__ = [
    "SEPARATOR",
    "SINGLE_FILE_CHUNKS",
    "Corpus",
    "Document",
    "load_corpus",
    "stdlib_sources",
    "unigram_entropy",
]
