"""One browser tab's wizard: what `onboard-tui serve` starts through textual-serve.

`python -m onboard_tui.ui.served SESSION [--demo]`. textual-serve sets TEXTUAL_DRIVER so
the same wizard draws into the browser instead of a terminal. Logs go to the session
folder (stdout is the browser's stream). Not meant to be run by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from onboard_tui.clock import SystemClock
from onboard_tui.logs import log_to_folder
from onboard_tui.service import NewSession
from onboard_tui.session.store import session_paths
from onboard_tui.tab_handover import wait_for_sibling_tab
from onboard_tui.ui.app import make_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onboard_tui.ui.served")
    parser.add_argument("session", type=Path)
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args(argv)
    _, folder = session_paths(args.session)
    if folder.exists() or args.demo:
        log_to_folder(folder)
    wait_for_sibling_tab(folder / "session.lock", SystemClock())
    new = NewSession(name="demo", provider="sandbox") if args.demo else None
    code = make_app(args.session, new=new).run()
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
