"""Chromium (Debian's, at /usr/bin/chromium) driven by Playwright, for the dashboard's tests.

Import this module at the top of a browser test module: it skips the module
when Chromium or Playwright is missing.  Screenshots go to ``ARTIFACTS``.
"""

import os
from pathlib import Path

import pytest

from . import ROOT

CHROMIUM = "/usr/bin/chromium"
#: Where screenshots are saved (ignored by git).
ARTIFACTS = Path(ROOT) / "test-artifacts"
#: Without the background-networking flags Chromium keeps trying hosts that
#: this machine's closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

if not os.path.exists(CHROMIUM):
    pytest.skip("no Chromium at %s (apt-get install -y chromium)" % CHROMIUM,
                allow_module_level=True)
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    pytest.skip("Playwright for Python is not installed", allow_module_level=True)

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ARTIFACTS", "expect", "sync_playwright", "launch"]


def launch(playwright):
    """A headless Chromium browser from a ``sync_playwright()`` context."""
    ARTIFACTS.mkdir(exist_ok=True)
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
