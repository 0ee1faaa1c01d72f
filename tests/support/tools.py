"""External programs a test needs (promtool, prometheus, docker-compose, ...)."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str, install_hint: str) -> str:
    """Path of `name`. Missing: the test fails under CI (CI must install the tool) and is skipped elsewhere."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} not found ({install_hint})"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must install it")
    pytest.skip(message)
