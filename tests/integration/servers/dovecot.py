"""A private Dovecot IMAP server on 127.0.0.1: two users and a master user, no TLS.

Facts worth knowing:

* Dovecot refuses to run ``imap-login`` or mail processes as root. As root, the login
  processes run as ``dovenull``, internal ones as ``dovecot``, and mail as ``nobody:nogroup``
  (the mail tree is chowned to it). Run as another user, everything runs as that user.
* Those unprivileged users must be able to reach the files, but pytest's temporary folders
  are private (0700). So the runtime tree (base_dir, passwd files, Maildirs) lives in a
  folder of its own under the system temp dir, made traversable and removed at stop;
  only the log stays in the pytest work folder.
* UNIX socket paths are limited to ~108 bytes, another reason for a short base_dir.
* Master-user login is ``<user>*<master>`` with the master's password
  (``auth_master_user_separator = *``), the IMAP analogue of Exchange impersonation.
* Failed logins: anvil's growing per-IP penalty is switched off (its socket has mode 0),
  but each failure still takes about 0.5 s (the auth process checks delays twice a second).
"""

from __future__ import annotations

import base64
import contextlib
import grp
import hashlib
import imaplib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .base import (
    LOOPBACK,
    ServerProcess,
    free_port,
    missing_binary,
    require_binary,
    wait_until,
    write_secret,
)

USERS = ("alice", "bob")
MASTER_USER = "master"
MASTER_SEPARATOR = "*"

CONFIG_TEMPLATE = """\
# Private Dovecot for the onboard-tui integration tests.
base_dir = {base_dir}
state_dir = {state_dir}
instance_name = onboard-test-{port}
protocols = imap
listen = {host}
log_path = /dev/stderr
info_log_path = /dev/stderr
log_timestamp = "%Y-%m-%d %H:%M:%S "
auth_verbose = yes
auth_failure_delay = 0

ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_master_user_separator = {separator}

default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}
mail_location = maildir:~/Maildir
mail_uid = {mail_uid}
mail_gid = {mail_gid}

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = create
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = create
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = create
  }}
}}

passdb {{
  driver = passwd-file
  args = scheme=SSHA256 {master_file}
  master = yes
  result_success = continue
}}
passdb {{
  driver = passwd-file
  args = scheme=SSHA256 {users_file}
}}
userdb {{
  driver = passwd-file
  args = {users_file}
  default_fields = home={mail_root}/%u uid={mail_uid} gid={mail_gid}
}}

service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  # No growing delay after failed logins from 127.0.0.1: tests fail logins on purpose.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def ssha256(password: str) -> str:
    """A Dovecot ``{SSHA256}`` hash of ``password`` with a random salt."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha256(password.encode() + salt).digest()
    return "{SSHA256}" + base64.b64encode(digest + salt).decode("ascii")


@dataclass
class DovecotServer:
    """A running private Dovecot: IMAP address, users and their passwords, the master user."""

    host: str
    port: int
    users: dict[str, str] = field(repr=False)
    master_user: str
    master_password: str = field(repr=False)
    master_separator: str
    config_path: Path
    mail_root: Path
    log_path: Path
    process: ServerProcess = field(repr=False)

    def password(self, user: str) -> str:
        return self.users[user]

    def master_login(self, user: str) -> str:
        """The login name that opens ``user``'s mailbox with the master password."""
        return f"{user}{self.master_separator}{self.master_user}"

    def connect(self, user: str, password: str | None = None) -> imaplib.IMAP4:
        """An ``imaplib`` connection logged in as ``user`` (its own password by default)."""
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            imap.login(user, password if password is not None else self.users[user])
        except BaseException:
            with contextlib.suppress(Exception):
                imap.shutdown()
            raise
        return imap

    def maildir(self, user: str) -> Path:
        return self.mail_root / user / "Maildir"


def _identities() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid) suited to who runs the tests."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, os.geteuid(), os.getegid()
    for name in ("dovenull", "dovecot"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            missing_binary(f"system user {name!r} (from dovecot-core) is missing")
    nobody = pwd.getpwnam("nobody")
    try:
        gid = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        gid = nobody.pw_gid
    return "dovenull", "dovecot", nobody.pw_uid, gid


@contextlib.contextmanager
def start_dovecot(workdir: Path, timeout: float = 5.0) -> Iterator[DovecotServer]:
    """Start ``dovecot -F`` with a private config and yield a ``DovecotServer``."""
    dovecot_bin = require_binary("dovecot")
    doveadm_bin = require_binary("doveadm")
    for helper in ("imap", "imap-login"):
        require_binary(helper)  # /usr/lib/dovecot, from dovecot-imapd / dovecot-core
    login_user, internal_user, mail_uid, mail_gid = _identities()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "dovecot.log"

    runtime = Path(tempfile.mkdtemp(prefix="onboard-dovecot-"))
    try:
        runtime.chmod(0o755)
        base_dir = runtime / "run"
        state_dir = runtime / "state"
        mail_root = runtime / "mail"
        for folder in (base_dir, state_dir, mail_root):
            folder.mkdir()
            folder.chmod(0o755)
        os.chown(mail_root, mail_uid, mail_gid)

        users = {name: secrets.token_urlsafe(15) for name in USERS}
        master_password = secrets.token_urlsafe(15)
        users_file = runtime / "users.passwd"
        master_file = runtime / "master.passwd"
        write_secret(users_file, "".join(f"{u}:{ssha256(p)}::::::\n" for u, p in users.items()))
        write_secret(master_file, f"{MASTER_USER}:{ssha256(master_password)}\n")
        if os.geteuid() == 0:
            # Read by the auth process, which runs as the internal user: it owns them (0600).
            internal = pwd.getpwnam(internal_user)
            for secret_file in (users_file, master_file):
                os.chown(secret_file, internal.pw_uid, internal.pw_gid)

        port = free_port()
        config_path = runtime / "dovecot.conf"
        config_path.write_text(
            CONFIG_TEMPLATE.format(
                base_dir=base_dir,
                state_dir=state_dir,
                host=LOOPBACK,
                port=port,
                separator=MASTER_SEPARATOR,
                login_user=login_user,
                internal_user=internal_user,
                mail_uid=mail_uid,
                mail_gid=mail_gid,
                master_file=master_file,
                users_file=users_file,
                mail_root=mail_root,
            )
        )
        shutil.copy(config_path, workdir / "dovecot.conf")  # for post-mortems

        process = ServerProcess(
            "dovecot", [dovecot_bin, "-F", "-c", str(config_path)], log_path, stop_timeout=5.0
        )
        server = DovecotServer(
            host=LOOPBACK,
            port=port,
            users=users,
            master_user=MASTER_USER,
            master_password=master_password,
            master_separator=MASTER_SEPARATOR,
            config_path=config_path,
            mail_root=mail_root,
            log_path=log_path,
            process=process,
        )
        try:
            process.start()

            def alice_logs_in() -> bool:
                server.connect(USERS[0]).logout()
                return True

            wait_until(alice_logs_in, timeout, f"Dovecot IMAP login on port {port}", process)
            yield server
        finally:
            if process.is_running() and process.process is not None:
                # doveadm stop signals the master, then waits until its pid is gone. The
                # master is our child: it stays a zombie until we reap it, so wait for it
                # here, while doveadm runs, or doveadm would wait its full timeout.
                stopper = subprocess.Popen(
                    [doveadm_bin, "-c", str(config_path), "stop"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.process.wait(timeout=10)
                try:
                    stopper.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    stopper.kill()
                    stopper.wait()
            process.stop()  # whatever is left in the process group
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
