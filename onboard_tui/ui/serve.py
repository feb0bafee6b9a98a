"""The wizard in a browser (`onboard-tui serve`): textual-serve runs one wizard per tab.

textual-serve starts the wizard as a shell command for every browser tab. That command
holds the interpreter, a module and the session folder, nothing else: a password on a
command line could be read by anyone on the machine in /proc/PID/cmdline, so secrets stay
references that the wizard resolves (or asks for) as it does in a terminal. Each tab is an
ordinary wizard: the first takes the session lock, a second one observes read-only.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from textual_serve.server import Server

from onboard_tui.errors import OnboardError
from onboard_tui.session.store import session_paths
from onboard_tui.tab_handover import SERVE_PID_ENV

#: The port of the seed's own web tool.
DEFAULT_PORT = 8080
DEFAULT_HOST = "127.0.0.1"


def wizard_command(session: Path, *, demo: bool = False) -> str:
    """The shell command textual-serve runs per tab (quoted: folder names may hold spaces)."""
    parts = [sys.executable, "-m", "onboard_tui.ui.served", str(session.resolve())]
    if demo:
        parts.append("--demo")
    return shlex.join(parts)


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (127.0.0.0/8, ::1 or localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """The warning shown when the wizard is reachable from other machines; None on loopback."""
    if is_loopback(host):
        return None
    return (
        f"WARNING: the wizard is served on {host}:{port}, reachable from other machines. "
        "Anyone who opens that address gets the wizard with this session's full powers: "
        "there is no login and no encryption (plain HTTP). Prefer the default 127.0.0.1 "
        f"with an SSH tunnel: ssh -L {port}:127.0.0.1:{port} THIS-SERVER, then open "
        f"http://127.0.0.1:{port} on your computer."
    )


def public_url_for(host: str, port: int) -> str:
    """The address the page tells the browser to connect back to."""
    shown = host
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - naming the wildcard, not binding it
        shown = socket.getfqdn()  # a browser elsewhere cannot connect back to 0.0.0.0
    elif ":" in host and not host.startswith("["):
        shown = f"[{host}]"
    return f"http://{shown}:{port}"


def serve(
    session: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    demo: bool = False,
    public_url: str | None = None,
    report: Callable[[str], None] = print,
) -> None:
    """Serve the wizard on SESSION until Ctrl+C or SIGTERM; OnboardError when it cannot."""
    file, folder = session_paths(session)
    if not demo and not file.exists() and not folder.parent.is_dir():
        raise OnboardError(
            f"{session}: the folder {folder.parent} does not exist. Give an existing "
            "session (its folder or session.toml), or a new folder in an existing one."
        )
    warning = exposure_warning(host, port)
    if warning:
        report(warning)
    url = public_url or public_url_for(host, port)
    os.environ[SERVE_PID_ENV] = str(os.getpid())  # the wizards' way to know their siblings
    server = Server(
        wizard_command(session, demo=demo),
        host=host,
        port=port,
        title=f"onboard-tui · {folder.name}",
        public_url=url,
    )
    report(f"Serving the wizard for {folder} on {url} (one wizard per browser tab).")
    try:
        server.serve()
    except OSError as exc:
        raise OnboardError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}. "
            "Choose another port with --port (or stop what uses it)."
        ) from exc
