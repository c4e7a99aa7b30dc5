"""Every learn test keeps its progress file (``posenc progress``) in a temporary folder, never in the
user's own ``~/.local/share/posenc``."""

import pytest


@pytest.fixture(autouse=True)
def progress_home(tmp_path, monkeypatch):
    """``XDG_DATA_HOME`` for this test: the progress file is ``<it>/posenc/progress.json``."""
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home
