"""The embedded sandbox: the cloud API contract served over HTTP on 127.0.0.1.

`SandboxServer(db_path, profile).start()` returns its base URL; `stop()` ends it.
"""

from onboard_tui.cloud.sandbox.server import SandboxServer

__all__ = ["SandboxServer"]
