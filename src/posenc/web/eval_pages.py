"""Page: your own models' evaluations (``posenc eval MODEL``), read from the results folder.

    /evaluations?model=NAME            one evaluation folder's tables and plots (default: the first)
    /evaluations/files/{name}/{f}      a plot of that folder (only those its results.json lists)

``posenc eval`` on a Hugging Face folder or a MiniMind checkpoint writes RESULTS/eval/NAME/
(``posenc.evaluate.own_results``: results.json row by row, report.md, the plots); this page lists those
folders and shows one: the model's facts, one table per evaluation (no scaling, yarn:4, ...), its
plots. A folder whose results.json cannot be read is named with the reason, never a failed page.

``posenc.evaluate`` is imported by the routes, not here: its package loads torch, which the lab loads
in the background once it is up.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import BaseRoute, Route

from posenc.web.core import Lab, png_size
from posenc.web.jobs import result_file
from posenc.web.params import BadInput


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=16)
def _context(folder: Path, key: tuple[int, int] | None) -> dict[str, Any]:
    """What the page shows of FOLDER/results.json (built once per version of the file)."""
    from posenc.evaluate.own_results import passkey_cell, read_results

    try:
        data = read_results(folder)
    except ValueError as err:
        return {"problem": str(err)}
    if data is None:
        return {"problem": f"{folder}/results.json is gone"}
    try:
        evals = [
            {
                "key": name,
                "scaling": entry.get("rope_scaling") or "none",
                "entry": entry,
                "rows": [{**row, "passkey_text": passkey_cell(row)} for row in entry.get("rows", [])],
            }
            for name, entry in data["evals"].items()
        ]
    except (KeyError, TypeError, AttributeError) as err:
        return {"problem": f"{folder}/results.json lacks an evaluation's numbers ({err!r})"}
    plots = []
    for name in data.get("plots") or []:
        if isinstance(name, str) and name.endswith(".png"):
            size = png_size(folder / name)
            svg = name.removesuffix(".png") + ".svg"
            plots.append({"png": name, "svg": svg if svg in data["plots"] else None, "size": size})
    return {"problem": None, "data": data, "evals": evals, "plots": plots}


def routes(lab: Lab) -> list[BaseRoute]:
    root = lab.results_dir / "eval"  # posenc.evaluate.own_results.DEFAULT_OUT's last part

    def folders() -> dict[str, Path]:
        from posenc.evaluate.own_results import evaluation_folders

        return evaluation_folders(lab.results_dir)

    def evaluations_page(request: Request):
        found = folders()
        name = request.query_params.get("model")
        if name is not None and name not in found:
            raise BadInput(
                f"no evaluation {name[:60]!r} in {root}; "
                f"the evaluations there: {', '.join(found) or 'none yet'}"
            )
        name = name or next(iter(found), None)
        context: dict[str, Any] = {"problem": None}
        if name is not None:
            folder = found[name]
            context = _context(folder, _file_key(folder / "results.json"))
        return lab.page(
            request,
            "evaluations.html",
            key=None,
            title="Your models' evaluations",
            names=list(found),
            name=name,
            folder=found.get(name),
            root=root,
            **context,
        )

    def evaluation_file(request: Request):
        name, file = request.path_params["name"], request.path_params["file"]
        from posenc.evaluate.own_results import read_results

        found = folders()
        if name not in found:
            raise HTTPException(404, f"no evaluation {name[:60]!r} with results")
        try:
            listed = (read_results(found[name]) or {}).get("plots") or []
        except ValueError:
            listed = []
        try:
            path, media = result_file(found[name], file, [p for p in listed if isinstance(p, str)])
        except FileNotFoundError as err:
            raise HTTPException(404, f"no such plot: {err}") from None
        return FileResponse(path, media_type=media, headers={"cache-control": "no-cache"})

    return [
        Route("/evaluations", evaluations_page),
        Route("/evaluations/files/{name}/{file}", evaluation_file),
    ]
