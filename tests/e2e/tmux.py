"""A private tmux server that runs the real wizard at 80x24 and types into it like a person.

Keys go one at a time with a short pause: Textual misroutes keys that arrive faster than
anyone types (a burst lands in the wrong widget). The screen is read with
``capture-pane -p``; the footer line shows the focused widget's key bindings, which is
how a test knows where the focus is without looking inside the process.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.servers.base import require_binary

KEY_PAUSE = 0.03  # one key at a time, at a person's pace
SESSION = "w"
TABS = ("Users", "Settings", "Staging", "Complete", "Dashboard")


class Tmux:
    """One tmux server on its own socket, running one window of 80x24."""

    def __init__(self, binary: str, name: str, env: dict[str, str]) -> None:
        self.binary, self.name, self.env = binary, name, env
        #: Every screen read, so a test can check what was ever shown (no password…).
        self.seen: set[str] = set()

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            [self.binary, "-L", self.name, "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.stdout

    def start(self, command: str, cwd: Path | None = None) -> int:
        """Run `command` (a shell line) in a new 80x24 window; the pid of its process."""
        where = ("-c", str(cwd)) if cwd else ()
        self("new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", *where, command)
        return self.pane_pid()

    def pane_pid(self) -> int:
        return int(self("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip())

    def process(self, marker: str) -> int:
        """The pane's process or its first descendant whose command line holds `marker`."""
        todo = [self.pane_pid()]
        while todo:
            pid = todo.pop(0)
            if marker in _cmdline(pid):
                return pid
            todo.extend(_children(pid))
        raise AssertionError(f"no process running {marker!r} in the pane")

    def screen(self) -> str:
        shown = self("capture-pane", "-p", "-t", SESSION)
        self.seen.add(shown)
        return shown

    def footer(self) -> str:
        """The last line: the key bindings of the focused widget."""
        lines = self.screen().rstrip("\n").splitlines()
        return lines[-1] if lines else ""

    def key(self, *keys: str) -> None:
        """tmux key names (Enter, Tab, BTab, Escape, C-s, Space, Down…), one at a time."""
        for key in keys:
            self("send-keys", "-t", SESSION, key)
            time.sleep(KEY_PAUSE)

    def type(self, text: str) -> None:
        """Literal text, one character at a time."""
        for char in text:
            self("send-keys", "-t", SESSION, "-l", char)
            time.sleep(KEY_PAUSE)

    def wait_for(self, *texts: str, seconds: float = 90) -> str:
        """Until one of `texts` is on the screen; the screen. Fails showing the screen."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if any(text in screen for text in texts):
                return screen
            time.sleep(0.15)
        raise AssertionError(f"{texts!r} never appeared; the screen:\n{self.screen()}")

    def focus_footer(self, prefix: str, key: str = "Tab", tries: int = 40) -> None:
        """Press `key` until the footer (the focused widget's bindings) starts with `prefix`."""
        for _ in range(tries):
            if self.footer().lstrip().startswith(prefix):
                return
            self.key(key)
            time.sleep(0.25)
        raise AssertionError(f"focus never reached {prefix!r}; the screen:\n{self.screen()}")


@contextmanager
def tmux_server(name: str, env: dict[str, str] | None = None) -> Iterator[Tmux]:
    """A private tmux server (skipped when tmux is missing, failed under CI=true)."""
    binary = require_binary("tmux")
    env = dict(os.environ if env is None else env)
    env.pop("TMUX", None)
    server = Tmux(binary, f"{name}-{os.getpid()}", env)
    try:
        yield server
    finally:
        server("kill-server")


def alive(pid: int) -> bool:
    """True while the process runs (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} did not leave"
        time.sleep(0.1)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


# --- Step 3's tab strip --------------------------------------------------------------------


def active_tab(screen: str) -> str:
    """The tab whose label the highlight bar under the tab strip ends beneath."""
    lines = screen.splitlines()
    strip = next((i for i, line in enumerate(lines) if "Users  Settings  Staging" in line), None)
    if strip is None or strip + 1 >= len(lines) or "╺" not in lines[strip + 1]:
        return ""
    end = lines[strip + 1].index("╺")
    starts = [(lines[strip].index(name), name) for name in TABS]
    before = [(s, n) for s, n in starts if s < end]
    return max(before)[1] if before else ""  # mid-animation: ask again


def until_tab(tmux: Tmux, wanted: str, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if active_tab(tmux.screen()) == wanted:
            return True
        time.sleep(0.1)
    return False


def to_staging(tmux: Tmux, first_user: str = "alice.adams@renovations.com") -> None:
    """From the Users tab (where Step 3 opens) to the Staging table, by keyboard only;
    `first_user` is text that shows the Users tab is loaded."""
    tmux.wait_for(first_user)
    assert until_tab(tmux, "Users"), tmux.screen()
    for _ in range(8):  # Shift+Tab up to the tab strip: there Right shows Settings
        tmux.key("BTab", "Right")
        if until_tab(tmux, "Settings"):
            break
    else:
        raise AssertionError(f"the tab strip was never reached; the screen:\n{tmux.screen()}")
    tmux.key("Right")
    assert until_tab(tmux, "Staging", 10), tmux.screen()
    tmux.wait_for("Start each Transfer Group")
    tmux.key("Tab")  # into the groups table
