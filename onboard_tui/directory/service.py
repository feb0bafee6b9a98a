"""DirectoryService: the one object the Users and Settings tabs and the CLI call.

It only wires the directory modules to the session; each method may block (files, SQL,
LDAP), so the UI calls it from a thread worker. Everything it returns is plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

from onboard_tui.clock import Clock, SystemClock
from onboard_tui.directory import domino as _domino
from onboard_tui.directory import groups as _groups
from onboard_tui.directory import settings as _settings
from onboard_tui.directory.ad import plan_ad
from onboard_tui.directory.csvfile import CsvPreview, preview
from onboard_tui.directory.csvimport import ImportOptions, stage_csv
from onboard_tui.directory.errors import DirectoryError
from onboard_tui.directory.exports import write_csv
from onboard_tui.directory.filters import UserFilter
from onboard_tui.directory.groups import GroupInfo, MembershipPreview
from onboard_tui.directory.imports import ImportPlan, apply_plan, discard_plan, finish_plan
from onboard_tui.directory.ldapconn import ConnectionReport, check_connection, password_of
from onboard_tui.directory.ldapform import KINDS, LdapForm
from onboard_tui.directory.mapping import ColumnMapping, guess_mapping
from onboard_tui.directory.settings import QuotaReport
from onboard_tui.directory.sniff import CsvFormat
from onboard_tui.directory.users import PageCursor, UserPage, iter_users, page_users
from onboard_tui.providers.model import GIB
from onboard_tui.session.model import LdapSource, TransferSettings
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore

EXPORT_HEADER = (
    "email", "display_name", "first_name", "last_name", "source_login", "department",
    "group", "source_size",
)  # fmt: skip


class DirectoryService:
    """Users, Transfer Groups and their settings for one open session."""

    def __init__(
        self,
        store: SessionStore,
        clock: Clock | None = None,
        *,
        domains: Callable[[], Sequence[str]] | None = None,
        verified: Callable[[], Collection[str]] | None = None,
        quota_bytes: int = 50 * GIB,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self._domains = domains or (lambda: ())
        self._verified = verified
        self.quota_bytes = quota_bytes

    def mail_reaches(self, email: str) -> bool | None:
        """Whether the user's domain is verified (Step 2): until it is, the user gets no
        mail in the cloud. None when the session lists no domains to say either way."""
        if self._verified is None or not self._domains():
            return None
        return email.rpartition("@")[2].casefold() in self._verified()

    # --- CSV import ------------------------------------------------------------------------

    def preview_csv(self, path: Path, rows: int = 10) -> CsvPreview:
        """Format, header, guessed mapping and the first rows, for the mapping step."""
        return preview(path, rows)

    def plan_csv(
        self,
        path: Path,
        mapping: ColumnMapping | None = None,
        *,
        fmt: CsvFormat | None = None,
        update_existing: bool = True,
    ) -> ImportPlan:
        """Read and check the whole file; nothing is stored until `apply_import`."""
        found = preview(path, 1)
        fmt = fmt or found.format
        options = ImportOptions(domains=tuple(self._domains()), update_existing=update_existing)
        staged = stage_csv(
            self.store.db, path, mapping or guess_mapping(found.headers), options, fmt
        )
        try:
            return finish_plan(
                staged.stage,
                self.store,
                source=str(path),
                rows=staged.rows,
                problems=staged.problems,
                update_existing=update_existing,
                fmt=fmt.description,
            )
        except BaseException:
            staged.stage.drop()
            raise

    def apply_import(self, plan: ImportPlan, *, skip_problems: bool) -> None:
        """Store a plan in one transaction; abort (changing nothing) unless skipping."""
        apply_plan(plan, self.store, self.clock.now(), skip=skip_problems)

    def discard_import(self, plan: ImportPlan) -> None:
        discard_plan(plan)

    # --- users -----------------------------------------------------------------------------

    def users_page(
        self,
        *,
        search: str = "",
        group: str | None = None,
        sort: str = "email",
        after: PageCursor | None = None,
        limit: int = 100,
    ) -> UserPage:
        return page_users(
            self.store.db, search=search, group=group, sort=sort, after=after, limit=limit
        )

    def export_users(self, path: Path, group: str | None = None) -> int:
        """Write the users (of one group) as a CSV safe to open in a spreadsheet."""
        rows = (
            (u.email, u.display_name, u.first_name, u.last_name, u.source_login,
             u.department, u.group or "", "" if u.source_size is None else u.source_size)
            for u in iter_users(self.store.db, group=group)
        )  # fmt: skip
        return write_csv(path, EXPORT_HEADER, rows)

    # --- Transfer Groups -------------------------------------------------------------------

    def groups(self) -> list[GroupInfo]:
        return _groups.list_groups(self.store)

    def create_group(self, name: str, setting: str = "", description: str = "") -> None:
        _groups.create_group(self.store, name, setting, description)

    def rename_group(self, old: str, new: str) -> None:
        _groups.rename_group(self.store, old, new)

    def delete_group(self, name: str) -> int:
        return _groups.delete_group(self.store, name)

    def set_group_setting(self, group: str, setting: str) -> None:
        _groups.set_group_setting(self.store, group, setting)

    def preview_filter(self, group: str, user_filter: UserFilter) -> MembershipPreview:
        return _groups.preview_filter(self.store, group, user_filter)

    def preview_add(self, group: str, emails: Iterable[str]) -> MembershipPreview:
        return _groups.preview_add(self.store, group, emails)

    def preview_remove(self, group: str, emails: Iterable[str]) -> MembershipPreview:
        return _groups.preview_remove(self.store, group, emails)

    def apply_membership(self, preview: MembershipPreview) -> None:
        _groups.apply_preview(self.store, preview, self.clock.now())

    # --- Transfer Group Settings and quota --------------------------------------------------

    def settings(self) -> list[TransferSettings]:
        return list(self.store.data.transfer_settings)

    def save_settings(self, item: TransferSettings, old_name: str = "") -> None:
        _settings.save_settings(self.store, item, old_name)

    def delete_settings(self, name: str) -> None:
        _settings.delete_settings(self.store, name)

    def check_quota(self, group: str | None = None) -> QuotaReport:
        return _settings.check_quota(self.store, self.quota_bytes, group)

    # --- Active Directory and Domino --------------------------------------------------------

    def _source(self, kind: str) -> LdapSource:
        source: LdapSource | None = getattr(self.store.data.directory, kind)
        if source is None:
            name = "Active Directory" if kind == "ad" else "the Domino Directory"
            raise DirectoryError(f"No connection to {name} is set up in this session.")
        return source

    def directory_kind(self) -> str:
        """The directory the session reads: Active Directory unless only Domino is set."""
        d = self.store.data.directory
        return "domino" if d.ad is None and d.domino is not None else "ad"

    def ldap_form(self, kind: str | None = None) -> LdapForm:
        """The connection form of a directory: the saved settings, or the defaults."""
        kind = kind or self.directory_kind()
        return LdapForm.of(kind, getattr(self.store.data.directory, kind))

    def save_ldap(self, form: LdapForm) -> LdapSource:
        """Check the form and save it to session.toml (never a password, only its reference)."""
        kind = form.kind if form.kind in KINDS else "ad"
        source = form.to_source(getattr(self.store.data.directory, kind))
        self.store.update(lambda data: setattr(data.directory, kind, source))
        return source

    def test_connection(
        self,
        password: Secret | None = None,
        kind: str = "ad",
        *,
        source: LdapSource | None = None,
    ) -> ConnectionReport:
        """Test connection: which stage (lookup, TCP, TLS, bind, search base) failed.

        `source` tests settings not saved yet (the form as typed)."""
        return check_connection(source or self._source(kind), password)

    def plan_ad(
        self, password: Secret | None = None, progress: Callable[[int], None] | None = None
    ) -> ImportPlan:
        """Read Active Directory (paged) and compare; apply with `apply_import`."""
        source = self._source("ad")
        return plan_ad(
            self.store, source, password_of(source, password), tuple(self._domains()), progress
        )

    def refresh_domino(
        self, password: Secret | None = None, progress: Callable[[int], None] | None = None
    ) -> _domino.RefreshResult:
        """Bring the local Domino replica up to date; returns what changed."""
        source = self._source("domino")
        return _domino.refresh_replica(
            self.store.db, source, password_of(source, password), self.clock.now(), progress
        )

    def domino_last_refresh(self) -> _domino.RefreshResult | None:
        return _domino.last_refresh(self.store.db)

    def domino_changes(self, limit: int = 1000) -> list[_domino.ReplicaChange]:
        """Who the last refresh of the replica added, changed or removed."""
        return _domino.last_changes(self.store.db, limit)

    def plan_directory(
        self,
        kind: str,
        password: Secret | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> ImportPlan:
        """Import from a directory: AD read directly; Domino refreshed, then its replica."""
        if kind == "domino":
            self.refresh_domino(password, progress)
            return self.plan_domino()
        return self.plan_ad(password, progress)

    def plan_domino(self) -> ImportPlan:
        """The replica's people as an import plan."""
        return _domino.plan_from_replica(self.store, tuple(self._domains()))
