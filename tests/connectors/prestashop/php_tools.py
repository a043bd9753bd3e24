"""php-cli and PHPUnit for the module's tests: skipped with the reason on a machine without them,
a failure in CI (`.ci/run` installs php-cli, php-curl, php-xml and phpunit from Debian)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{program} is not installed: CI must run the PrestaShop module's tests")
        pytest.skip(f"{program} not found (apt-get install php-cli php-curl php-xml phpunit)")
    return found


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    """A PHP tool's run, its output kept for the assertion message."""
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=120)
