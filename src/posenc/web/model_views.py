"""The lab's model state: the trained models it has loaded and the lock that lets one view compute at a time.

:mod:`posenc.web.model_pages` computes its answers through :meth:`ModelViews.run` (the lab keeps one
``ModelViews`` as ``Lab.model_views``): a computation that finds another one running waits up to
WAIT_SECONDS, then raises :class:`~posenc.web.jobs.Busy` (answered 429, "try again"). torch and the
checkpoint cache (``posenc.evaluate.views.ModelCache``) come with the first computation, never at
import time; torch then uses VIEW_THREADS threads, leaving a core to the server.
"""

from __future__ import annotations

import os
import threading

from starlette.exceptions import HTTPException

from posenc.study.runs import TrainedModel
from posenc.web.jobs import Busy
from posenc.web.params import BadInput

WAIT_SECONDS = 3.0  # a request that finds a model computing waits this long before its 429
VIEW_THREADS = max(1, (os.cpu_count() or 2) // 2)  # torch threads for the views; the rest serve pages


class ModelViews:
    """The lab's model state: the model cache and the lock that lets one computation run at a time.
    Made with the lab; torch and the cache come with the first computation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cache = None  # posenc.evaluate.views.ModelCache, made under the lock on first use

    def run(self, compute, *args) -> bytes:
        """``compute(self, *args)`` under the lock (waiting up to WAIT_SECONDS; :class:`Busy` after)."""
        if not self.lock.acquire(timeout=WAIT_SECONDS):
            raise Busy(
                "another model view is computing (the lab runs one at a time so that pages stay fast); "
                "try again in a moment"
            )
        try:
            if self.cache is None:
                import torch

                from posenc.evaluate.views import ModelCache

                torch.set_num_threads(VIEW_THREADS)  # the process's intra-op pool: only the views use it
                self.cache = ModelCache()
            return compute(self, *args)
        finally:
            self.lock.release()

    def load(self, model: TrainedModel):
        """(model, meta); 404 when the checkpoint is gone, 400 when it cannot be used. A model shipped
        with posenc is laid out as a run folder in the cache on first use, its checksum checked."""
        try:
            if model.shipped and not (model.folder / "checkpoint.pt").is_file():
                from posenc.evaluate.shipped import run_folder

                run_folder(model.name)
            return self.cache.get(model.folder)
        except FileNotFoundError as err:
            raise HTTPException(404, f"{model.name}: {err}") from None
        except ValueError as err:
            raise BadInput(f"{model.name}: {err}") from None
