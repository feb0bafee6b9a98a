"""The session: session.toml (small, hand-editable) and state.db (the volume) in one folder."""

from onboard_tui.session.errors import SessionFileError, SessionLockedError, SessionWriteError
from onboard_tui.session.model import (
    CloudSettings,
    Organisation,
    SessionData,
    StepRecord,
    TransferGroup,
)
from onboard_tui.session.secrets import Secret, SecretError, SecretRef
from onboard_tui.session.statedb import Event, StateDB, StateDBError, UserRow
from onboard_tui.session.store import SessionStore, load, restore_backup, session_paths

__all__ = [
    "CloudSettings",
    "Event",
    "Organisation",
    "Secret",
    "SecretError",
    "SecretRef",
    "SessionData",
    "SessionFileError",
    "SessionLockedError",
    "SessionStore",
    "SessionWriteError",
    "StateDB",
    "StateDBError",
    "StepRecord",
    "TransferGroup",
    "UserRow",
    "load",
    "restore_backup",
    "session_paths",
]
