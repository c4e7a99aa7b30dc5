"""Fixtures for the ``posenc inspect`` tests."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def write_config(tmp_path):
    """Write a config (dict, or raw text) to a temporary file and return its path as a string."""

    def write(content, name: str = "config.json") -> str:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)

    return write
