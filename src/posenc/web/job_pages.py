"""Placeholder: filled in by its own change."""

from __future__ import annotations

from starlette.routing import BaseRoute

from posenc.web.app import Lab


def routes(lab: Lab) -> list[BaseRoute]:
    return []
