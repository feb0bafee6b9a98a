"""The cloud target of a session, and the admin password it logs on with.

`[cloud] admin_password` is a secret reference. `env:` and `file:` are read when the
target is first needed; `prompt` means whoever starts the engine asks the administrator
(the wizard in a masked dialog, `onboard-tui run` with getpass) and hands the answer to
`provide()`. The answer lives in this process's memory only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from onboard_tui.clock import Clock
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.errors import OnboardError
from onboard_tui.mail.cloud_target import cloud_target_from_session
from onboard_tui.mail.config import MigrationConfig
from onboard_tui.mail.target import MailTarget
from onboard_tui.session.secrets import Secret, SecretRef
from onboard_tui.session.store import SessionStore


class SessionCloudTarget:
    """A `TargetFactory`: logs on to the session's cloud API when first called."""

    def __init__(
        self,
        store: SessionStore,
        clock: Clock,
        url: Callable[[], str],
        *,
        environ: Mapping[str, str] | None = None,
        access: CloudAccess | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.url = url
        self.environ = environ
        #: Shares the logon with Steps 2 and 4, so the password typed once is enough.
        self.access = access
        self._password: Secret | None = None

    @property
    def reference(self) -> SecretRef:
        return SecretRef.parse(self.store.data.cloud.admin_password, field="[cloud] admin_password")

    def needs_password(self) -> bool:
        """True when the target is the cloud, the reference is `prompt`, and none was given."""
        kind = MigrationConfig.from_document(self.store.doc).target.get("kind", "cloud")
        return kind == "cloud" and self.reference.needs_prompt and self._password is None

    def provide(self, password: Secret) -> None:
        self._password = password

    def __call__(self) -> MailTarget:
        try:
            target = cloud_target_from_session(
                self.store,
                self.clock,
                embedded_url=self.url(),
                environ=self.environ,
                password=self._password,
            )
        except OnboardError:
            self._password = None  # a refused password is asked for again
            raise
        if self.access is not None:
            self.access.logon = target.logon
        return target
