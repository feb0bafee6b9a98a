"""Typed messages that carry worker results back to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from onboard_tui.cloud.models import Geography
from onboard_tui.errors import OnboardError
from onboard_tui.roadmap import StepId
from onboard_tui.service import OnboardingService
from onboard_tui.session.errors import SessionFileError
from onboard_tui.session.model import Organisation


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
