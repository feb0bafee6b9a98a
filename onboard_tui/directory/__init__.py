"""Step 3's directory: users from CSV, Active Directory and Domino; Transfer Groups and
their settings. Plain Python: the UI and the CLI call `DirectoryService`."""

from onboard_tui.directory.checks import Problem
from onboard_tui.directory.csvfile import CsvPreview
from onboard_tui.directory.errors import CsvFileError, DirectoryError, ImportAborted
from onboard_tui.directory.filters import Condition, Rule, UserFilter
from onboard_tui.directory.groups import GroupInfo, MembershipPreview, Mover
from onboard_tui.directory.imports import ImportPlan
from onboard_tui.directory.ldapconn import ConnectionReport, StageResult
from onboard_tui.directory.mapping import ColumnMapping, Field
from onboard_tui.directory.service import DirectoryService
from onboard_tui.directory.settings import OverQuota, QuotaReport
from onboard_tui.directory.staging import Difference
from onboard_tui.directory.users import PageCursor, UserPage, UserView

__all__ = [
    "ColumnMapping",
    "Condition",
    "ConnectionReport",
    "CsvFileError",
    "CsvPreview",
    "Difference",
    "DirectoryError",
    "DirectoryService",
    "Field",
    "GroupInfo",
    "ImportAborted",
    "ImportPlan",
    "MembershipPreview",
    "Mover",
    "OverQuota",
    "PageCursor",
    "Problem",
    "QuotaReport",
    "Rule",
    "StageResult",
    "UserFilter",
    "UserPage",
    "UserView",
]
