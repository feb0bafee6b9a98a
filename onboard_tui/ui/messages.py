"""Typed messages that carry worker results back to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual.message import Message

from onboard_tui.cloud.models import Geography
from onboard_tui.comms import (
    ExportReport,
    Preview,
    SendPlan,
    SendProgress,
    SendReport,
    StatusRow,
    TemplateInfo,
)
from onboard_tui.directory import CsvPreview, GroupInfo, ImportPlan, MembershipPreview, QuotaReport
from onboard_tui.directory.domino import RefreshResult, ReplicaChange
from onboard_tui.directory.ldapconn import ConnectionReport
from onboard_tui.directory.users import UserPage
from onboard_tui.dns import UpdateResult, VerificationReport
from onboard_tui.domains.service import CheckOutcome, RestartOutcome
from onboard_tui.errors import OnboardError
from onboard_tui.mail.preflight import PreflightReport
from onboard_tui.mail.progress import ProgressSnapshot
from onboard_tui.mail.reports import UserReport
from onboard_tui.mx import DomainMx, MxOutcome, SmtpCheck
from onboard_tui.roadmap import StepId
from onboard_tui.service import OnboardingService
from onboard_tui.session.errors import SessionFileError
from onboard_tui.session.model import Organisation, TransferSettings


@dataclass
class SessionOpened(Message):
    """The session is open and everything it needs is running."""

    service: OnboardingService


@dataclass
class SessionMissing(Message):
    """No session at the path: ask for what a new one needs."""

    path: Path


@dataclass
class SessionDamaged(Message):
    """session.toml cannot be read; offer the backup."""

    error: SessionFileError


@dataclass
class SessionOpenFailed(Message):
    """Opening failed for another reason (profile, database, sandbox)."""

    error: OnboardError


@dataclass
class GoToStep(Message):
    """Switch the wizard to a step (from the sidebar, a button or the palette)."""

    step: StepId


@dataclass
class RoadmapChanged(Message):
    """A step's state changed: sidebars must redraw."""


@dataclass
class GeographiesLoaded(Message):
    """The cloud's list of geographies for Step 1."""

    geographies: list[Geography]


@dataclass
class Registered(Message):
    """Step 1 Submit succeeded."""

    organisation: Organisation


@dataclass
class RegistrationRejected(Message):
    """Step 1 Submit failed: field problems or a cloud error to show on the form."""

    fields: dict[str, str]
    error: str


# --- Step 5: MX ---------------------------------------------------------------------------


@dataclass
class MxInspected(Message):
    """A domain's MX set as every server sees it, with the plan and the gate."""

    view: DomainMx
    watching: bool = False


@dataclass
class MxProbed(Message):
    """The SMTP probe of the geography's SMTP host."""

    check: SmtpCheck


@dataclass
class MxSwitched(Message):
    """An MX switch or its Undo was applied, and read back from every server."""

    outcome: MxOutcome


@dataclass
class MxActionFailed(Message):
    """Apply or Undo did not happen; `changed` when the MX set changed since it was shown."""

    domain: str
    error: str
    changed: bool = False


@dataclass
class MxRecordsSaved(Message):
    """The copy-ready records were written to a file."""

    path: Path


# --- Step 3: users, Transfer Groups, Transfer Group Settings ------------------------------


@dataclass
class UsersPageLoaded(Message):
    """A page of the Users table; `generation` drops answers to an older search."""

    generation: int
    page: UserPage
    reset: bool


@dataclass
class CsvPreviewed(Message):
    """The import dialog's first look at a file: format, header, guessed mapping, rows."""

    preview: CsvPreview


@dataclass
class CsvPlanned(Message):
    """The whole file checked against state.db; nothing is stored yet."""

    generation: int
    plan: ImportPlan


@dataclass
class ImportApplied(Message):
    """An import plan was stored (the rejected rows skipped)."""

    plan: ImportPlan


@dataclass
class GroupsLoaded(Message):
    """The Transfer Groups with member counts and sizes."""

    groups: list[GroupInfo]


@dataclass
class GroupsChanged(Message):
    """A group was created, renamed or deleted, or its setting changed: panels reload."""


@dataclass
class MembershipPreviewed(Message):
    """Who would join and who would leave a group; shown before anything is saved.

    `reviewed` is True when the admin has already seen it (the filter dialog's preview).
    """

    preview: MembershipPreview
    reviewed: bool = False


@dataclass
class MembershipApplied(Message):
    """A previewed membership change was saved; `from_marks` when it came from the marks."""

    preview: MembershipPreview
    from_marks: bool = False


@dataclass
class SettingsLoaded(Message):
    """The named Transfer Group Settings and the groups they may be assigned to."""

    settings: list[TransferSettings]
    groups: list[GroupInfo]


@dataclass
class QuotaChecked(Message):
    """The quota check: users whose selection would exceed the profile's quota."""

    report: QuotaReport


@dataclass
class UsersExported(Message):
    """The users were written to a CSV file."""

    path: Path
    count: int


@dataclass
class DirectoryTested(Message):
    """Test connection's stages (name lookup, TCP, TLS, bind, search base) and the first
    that failed."""

    report: ConnectionReport


@dataclass
class DirectorySaved(Message):
    """The LDAP settings were written to session.toml; `then_import` when Import asked."""

    kind: str
    then_import: bool = False


@dataclass
class DirectoryProgress(Message):
    """How many directory entries a long import or refresh has read so far."""

    entries: int


@dataclass
class DirectoryPlanned(Message):
    """The directory was read and compared with the users here; nothing is stored yet."""

    plan: ImportPlan


@dataclass
class DominoStatus(Message):
    """When the Domino replica was last refreshed and what it changed (None: never);
    `refreshed` when a refresh just ran."""

    last: RefreshResult | None
    refreshed: bool = False


@dataclass
class DominoChangesLoaded(Message):
    """Who the last refresh of the Domino replica added, changed or removed."""

    changes: list[ReplicaChange]


# --- Step 2: verify domain ----------------------------------------------------------------


@dataclass
class DomainsChanged(Message):
    """A Step 2 action finished: rows reload; `note` goes to the status line."""

    note: str = ""
    select: str = ""


@dataclass
class DomainChecked(Message):
    """Begin Verification or a check of every authoritative server (and the cloud) ended."""

    outcome: CheckOutcome
    automatic: bool = False


@dataclass
class DomainRecordUpdated(Message):
    """The verification CNAME was created or removed by RFC 2136 and read back."""

    name: str
    result: UpdateResult
    report: VerificationReport
    removed: bool


@dataclass
class VerificationRestarted(Message):
    """Restart Verification gave a new key: the record must change old -> new."""

    outcome: RestartOutcome


@dataclass
class DomainActionFailed(Message):
    """A Step 2 action failed; `logon` when the cloud needs the password first."""

    action: str
    domain: str
    error: OnboardError
    logon: bool = False


# --- Communicate ------------------------------------------------------------------------


@dataclass
class CommsLoaded(Message):
    """The templates (written on first use) and the selected one's per-user status."""

    templates: list[TemplateInfo]
    selected: str
    rows: list[StatusRow]
    counts: dict[str, int]


@dataclass
class CommsPreviewReady(Message):
    """A template rendered for one user (or the problem that stops it)."""

    preview: Preview


@dataclass
class CommsPlanReady(Message):
    """Recipients worked out: ask for confirmation; `export` for the .eml dry run."""

    plan: SendPlan
    text: str
    export: bool


@dataclass
class CommsProgress(Message):
    """A message went (or failed) during a send."""

    progress: SendProgress


@dataclass
class CommsSent(Message):
    """A send run ended (done, stopped, or the server failed it)."""

    report: SendReport


@dataclass
class CommsExported(Message):
    """The dry run wrote its .eml files."""

    report: ExportReport


@dataclass
class CommsFailed(Message):
    """A Communicate action failed with a sentence to show; `password` when one is needed."""

    action: str
    error: OnboardError
    password: bool = False


@dataclass
class CommsNote(Message):
    """A sentence for the status line (the SMTP test's result)."""

    text: str


# --- Step 3 migration: Staging, Dashboard, Complete ---------------------------------------


@dataclass
class MigrationProgress(Message):
    """A ProgressSnapshot read in a thread (from the engine, or from state.db)."""

    snapshot: ProgressSnapshot


@dataclass
class PreflightDone(Message):
    """The pre-flight of a group, before it starts now (`when` None) or at `when`."""

    report: PreflightReport
    when: datetime | None = None


@dataclass
class MigrationActed(Message):
    """A Staging action was done (start, schedule, pause, …): a sentence for the admin."""

    text: str


@dataclass
class CompleteLoaded(Message):
    """The per-user outcome for the Complete tab."""

    reports: list[UserReport]


@dataclass
class MigrationExported(Message):
    """A CSV was written."""

    path: Path
    rows: int
