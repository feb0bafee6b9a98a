"""onboard-tui: a terminal wizard for onboarding an organisation to a cloud mail service."""

__version__ = "0.1.0"
