"""Data: byte tokenizer, corpora (built-in Python stdlib or user text), batches and eval windows."""

from posenc.data.batches import eval_windows, train_batch, window_sources
from posenc.data.corpus import Corpus, load_corpus, stdlib_sources, unigram_entropy
from posenc.data.tokenizer import VOCAB_SIZE, decode, encode

__all__ = [
    "VOCAB_SIZE",
    "Corpus",
    "decode",
    "encode",
    "eval_windows",
    "load_corpus",
    "stdlib_sources",
    "train_batch",
    "unigram_entropy",
    "window_sources",
]
