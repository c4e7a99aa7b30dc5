"""The local web lab: ``create_app`` builds it, ``posenc lab`` serves it (see :mod:`posenc.web.app`)."""

from posenc.web.app import create_app

__all__ = ["create_app"]
