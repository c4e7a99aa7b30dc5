"""The module's learning content and its terminal front ends.

Content lives in data files beside this code, so editing it touches no code:
``data/notes/`` (Markdown, one file per topic, listed in ``index.yaml``), ``data/quiz.yaml``,
``data/grill.yaml``, ``data/practice.yaml`` and ``data/cards.yaml``. :mod:`posenc.learn.content`
loads and validates them; numbers the library computes are ``{{placeholders}}`` filled in by
:mod:`posenc.learn.numbers`. Commands: ``posenc notes``, ``posenc quiz``, ``posenc grill``,
``posenc cards``, ``posenc progress`` (the last scores, kept in the user's data folder:
:mod:`posenc.learn.progress`); :mod:`posenc.learn.start` is what ``posenc`` alone shows.
"""

from posenc.learn.content import (
    find_topic,
    load_cards,
    load_grill,
    load_notes_index,
    load_practice,
    load_quiz,
)

__all__ = ["find_topic", "load_cards", "load_grill", "load_notes_index", "load_practice", "load_quiz"]
