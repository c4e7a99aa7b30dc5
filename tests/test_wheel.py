"""SLOW-ish (about 30-60 s): `pip wheel .` carries the shipped reference runs (and the trained models,
once they ship), and that wheel, installed in a fresh virtual environment, opens the study and models
pages. The venv sees this environment's packages through a .pth line (no torch download) and the wheel goes
in with ``--no-deps``; the lab runs from the venv's own posenc, not the source tree."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from posenc.reference import models as manifest
from tests.web.conftest import start_lab, stop

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            REPO,
        ],
        check=True,
        timeout=300,
    )
    return next(out.glob("posenc-*.whl"))


def test_the_wheel_carries_the_reference_runs_and_the_shipped_models(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for study in ("study-cpu-full", "study-cpu-default"):
        for file in ("results.json", "report.md", "ppl_vs_length.png", "passkey.svg"):
            assert f"posenc/reference/{study}/{file}" in names
    if manifest.manifest() is not None:
        assert "posenc/reference/study-cpu-default/models/manifest.json" in names
        for model in manifest.shipped_models().values():
            assert f"posenc/reference/study-cpu-default/models/{model.file.name}" in names


def test_the_installed_wheel_opens_the_study_and_models_pages(wheel, tmp_path, monkeypatch):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    site_dir = next(env_dir.glob("lib/python*/site-packages"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site_dir), str(wheel)],
        check=True,
        timeout=300,
    )
    # this environment's packages (torch, starlette, ...) after the venv's own: a .pth line adds a folder
    # without reading the .pth files in it, so an editable posenc there stays out
    (site_dir / "zz_shared.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "POSENC_REFERENCE_DIR")}
    where = subprocess.run(
        [str(python), "-c", "import posenc.reference as r; print(r.root())"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=env,
    ).stdout.strip()  # fmt: skip
    assert where.startswith(str(env_dir)), where  # the installed copy, not the source tree
    import httpx

    monkeypatch.setattr(sys, "executable", str(python))  # start_lab runs `sys.executable -m posenc lab`
    env.update(PYTHONPATH="", XDG_DATA_HOME=str(tmp_path / "xdg"), POSENC_CACHE_DIR=str(tmp_path / "cache"))
    monkeypatch.setattr(os, "environ", env)
    proc, url = start_lab(tmp_path / "results")
    try:
        study = httpx.get(url + "study", timeout=60)
        assert study.status_code == 200 and "Reference: full preset" in study.text
        assert "No study results found" not in study.text
        models = httpx.get(url + "models", timeout=60)
        assert models.status_code == 200
        if manifest.manifest() is not None:
            assert "Shipped with posenc" in models.text and 'id="passkey-form"' in models.text
    finally:
        stop(proc)
