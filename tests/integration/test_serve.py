"""`onboard-tui serve` in a real headless Chromium, driven over the DevTools protocol.

textual-serve draws with xterm.js on a canvas, so the page's DOM holds no text. What the
browser received is read instead: the DevTools protocol reports every WebSocket frame the
page got, and the wizard's screen is in those frames as text between escape sequences.
Chromium resolves no name but loopback (--host-resolver-rules), so the page's web-font
link goes nowhere. Skips without chromium; fails under CI=true.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from onboard_tui.session.lock import SessionLock
from onboard_tui.session.model import SessionData
from onboard_tui.session.store import SessionStore
from onboard_tui.tab_handover import descends_from

from .servers.base import LOOPBACK, ServerProcess, find_binary, free_port, missing_binary

ANSI = re.compile(r"\x1b(?:\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-B]|.)")
WAIT = 120.0  # generous: two cores shared with other test runs


def onboard_binary() -> str:
    return str(Path(sys.executable).with_name("onboard-tui"))


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_binary("chromium") or find_binary("chromium-browser")
    if found is None:
        missing_binary("'chromium' is not installed")
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Path, str]]:
    """`onboard-tui serve` on a new sandbox session, on a free loopback port."""
    folder = tmp_path_factory.mktemp("serve") / "my session"  # a space: quoting matters
    data = SessionData(name="browser", created=datetime.now(UTC), provider="sandbox")
    SessionStore.create(folder, data).close()
    port = free_port()
    server = ServerProcess(
        "onboard-tui serve",
        [onboard_binary(), "serve", str(folder), "--port", str(port)],
        folder.parent / "serve.log",
    )
    with server:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and server.is_running():
            with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 1):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"serve did not listen on {port}:\n{server.describe_failure()}")
        yield server, folder, f"http://{LOOPBACK}:{port}/"


class Page:
    """One browser tab over the DevTools protocol: calls, and the WebSocket text it got."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.text = ""
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = message.json()
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
            elif data.get("method") == "Network.webSocketFrameReceived":
                frame = data["params"]["response"]
                payload = frame["payloadData"]
                if frame["opcode"] == 2:
                    payload = base64.b64decode(payload).decode("utf-8", "replace")
                self.text += ANSI.sub("", payload)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        answer = await asyncio.wait_for(future, WAIT)
        assert "error" not in answer, answer
        return dict(answer.get("result", {}))

    async def wait_for_text(self, *needles: str, since: int = 0) -> None:
        deadline = time.monotonic() + WAIT
        while not all(n in self.text[since:] for n in needles):
            if time.monotonic() > deadline:
                pytest.fail(f"the page never showed {needles}; it got: {self.text[-2000:]!r}")
            await asyncio.sleep(0.25)

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


class Browser:
    """Headless Chromium with a DevTools port, a private profile and loopback-only names."""

    def __init__(self, binary: str, profile: Path) -> None:
        self.profile = profile
        args = [
            binary,
            "--headless=new",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=1280,800",
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

    def devtools_port(self) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(OSError, ValueError, IndexError):
                return int(marker.read_text().splitlines()[0])
            time.sleep(0.1)
        pytest.fail(f"chromium gave no DevTools port (exit status {self.process.poll()})")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 9)
        self.process.wait()


@pytest.fixture
async def browser(
    chromium: str, tmp_path: Path
) -> AsyncIterator[tuple[aiohttp.ClientSession, int]]:
    instance = Browser(chromium, tmp_path / "chromium-profile")
    try:
        port = instance.devtools_port()
        async with aiohttp.ClientSession() as http:
            yield http, port
    finally:
        instance.stop()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


@contextlib.asynccontextmanager
async def open_tab(http: aiohttp.ClientSession, port: int, url: str) -> AsyncIterator[Page]:
    """A new tab with network events on, navigated to `url`; closed on exit."""
    async with http.put(f"http://{LOOPBACK}:{port}/json/new?about:blank") as answer:
        target = await answer.json()
    async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
        page = Page(ws)
        await page.call("Network.enable")
        await page.call("Page.enable")
        await page.call("Page.navigate", url=url)
        try:
            yield page
        finally:
            page.reader.cancel()
    async with http.get(f"http://{LOOPBACK}:{port}/json/close/{target['id']}"):
        pass


def lock_holder(folder: Path) -> int | None:
    lock = SessionLock(folder / "session.lock")
    return lock.holder() if lock.busy() else None


def wait_for_holder(folder: Path, not_pid: int | None = None) -> int:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        holder = lock_holder(folder)
        if holder is not None and holder != not_pid:
            return holder
        time.sleep(0.2)
    pytest.fail("no wizard took the session lock")


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


async def test_the_wizard_renders_in_the_browser(
    served: tuple[ServerProcess, Path, str],
    browser: tuple[aiohttp.ClientSession, int],
    tmp_path: Path,
) -> None:
    server, folder, url = served
    http, port = browser
    async with open_tab(http, port, url) as page:
        # The roadmap, as the terminal wizard shows it.
        await page.wait_for_text("Setup", "Verify domain", "Migrate users", "Configure MX")
        assert await page.evaluate("document.body.classList.contains('-first-byte')")
        assert "onboard-tui" in await page.evaluate("document.querySelector('.intro').innerText")
        shot = await page.call("Page.captureScreenshot", format="png")
        picture = base64.b64decode(shot["data"])
        assert picture.startswith(b"\x89PNG")
        (tmp_path / "wizard-in-browser.png").write_bytes(picture)

        # The tab's wizard is a child of serve holding the session; its command line is
        # the interpreter, the module and the folder: no secret can ride on it.
        holder = wait_for_holder(folder)
        assert server.pid is not None and descends_from(holder, server.pid)
        assert cmdline(holder)[1:] == ["-m", "onboard_tui.ui.served", str(folder.resolve())]


async def test_a_second_tab_observes_and_a_reload_takes_the_session_back(
    served: tuple[ServerProcess, Path, str],
    browser: tuple[aiohttp.ClientSession, int],
) -> None:
    _, folder, url = served
    http, port = browser
    async with open_tab(http, port, url) as first:
        await first.wait_for_text("Verify domain")
        owner = wait_for_holder(folder)
        assert "read-only" not in first.text
        async with open_tab(http, port, url) as second:
            await second.wait_for_text("Verify domain", "read-only")
            assert lock_holder(folder) == owner

        # A reload: the old wizard is told to quit while the new one starts; the new one
        # waits for it and opens the session for writing, not read-only.
        mark = len(first.text)
        await first.call("Page.reload")
        new_owner = wait_for_holder(folder, not_pid=owner)
        await first.wait_for_text("Verify domain", since=mark)
        assert "read-only" not in first.text[mark:]
        assert lock_holder(folder) == new_owner

    deadline = time.monotonic() + WAIT  # the last tab closed: its wizard lets go
    while lock_holder(folder) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert lock_holder(folder) is None
