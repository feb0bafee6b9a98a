"""User communications: message templates, preview, SMTP sending with per-user state."""

from onboard_tui.comms.ledger import FAILED, NOT_SENT, SENDING, SENT, SentRecord
from onboard_tui.comms.service import (
    ALL,
    FAILED_ONLY,
    GROUP,
    NOT_YET,
    Audience,
    CommsError,
    CommsService,
    ExportReport,
    PasswordNeeded,
    Preview,
    SendPlan,
    SendProgress,
    SendReport,
    StatusRow,
    TemplateInfo,
)
from onboard_tui.comms.smtp import SmtpError, describe
from onboard_tui.comms.templates import PLACEHOLDERS, Template, TemplateError

__all__ = [
    "ALL",
    "FAILED",
    "FAILED_ONLY",
    "GROUP",
    "NOT_SENT",
    "NOT_YET",
    "PLACEHOLDERS",
    "SENDING",
    "SENT",
    "Audience",
    "CommsError",
    "CommsService",
    "ExportReport",
    "PasswordNeeded",
    "Preview",
    "SendPlan",
    "SendProgress",
    "SendReport",
    "SentRecord",
    "SmtpError",
    "StatusRow",
    "Template",
    "TemplateError",
    "TemplateInfo",
    "describe",
]
