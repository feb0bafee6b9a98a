"""Logging to a private file in the session folder; never to the terminal the TUI draws on."""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_NAME = "onboard-tui.log"


class _QuietFileHandler(RotatingFileHandler):
    """A log line that cannot be written (disk full, folder read-only) is dropped.

    logging's default prints a traceback to stderr, the terminal the wizard draws on;
    the save that fails on the same disk already tells the administrator in a sentence.
    """

    def handleError(self, record: logging.LogRecord) -> None:
        return


def log_to_folder(folder: Path, level: int = logging.INFO) -> Path | None:
    """Send all logging to `folder/onboard-tui.log` (mode 0600); None if it cannot be written."""
    path = folder / LOG_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        handler = _QuietFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    return path
