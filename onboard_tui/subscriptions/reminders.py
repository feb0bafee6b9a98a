"""The activation reminder: a template in the Communicate folder, sent through comms.

It is written the first time reminders are prepared (never over an edited one), and
then appears in Communicate like every other template, with its sent state per user.
"""

from __future__ import annotations

from pathlib import Path

from onboard_tui.comms.templates import SUFFIX
from onboard_tui.session.atomic import write_atomic

TEMPLATE = "activation-reminder"

TEXT = """\
Subject: Reminder: activate your {service_name} account

Dear {first_name},

Your {service_name} account ({logon_name}) is ready, but you have not logged in
yet. Until you log in for the first time and create a new permanent password,
your account is not active, and after your mail is migrated no new mail is
delivered to your old mail file: mail sent to you may be waiting unread.

Please activate it today:

  1. Open {login_url}
  2. Log in with your logon name: {logon_name}
  3. Create a new permanent password when asked.

If you cannot log in, write to {admin_email}.

The {company} mail team
"""


def ensure_template(folder: Path) -> Path:
    """The reminder's file in the templates folder, written once."""
    path = folder / (TEMPLATE + SUFFIX)
    if not path.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path, TEXT.encode("utf-8"))
    return path
