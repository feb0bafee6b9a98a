"""The cloud API contract (docs/cloud-api.md): the httpx client, its models and errors.

`sandbox/` serves the same contract on 127.0.0.1 for the demo and the tests.
"""

from onboard_tui.cloud.client import USER_AGENT, CloudClient
from onboard_tui.cloud.errors import (
    CloudBadResponse,
    CloudBusy,
    CloudConflict,
    CloudError,
    CloudRejected,
    CloudServerError,
    CloudUnauthorised,
    CloudUnreachable,
)
from onboard_tui.cloud.models import (
    CloudLogon,
    Geography,
    Organisation,
    Registration,
    RegistrationResult,
)

__all__ = [
    "USER_AGENT",
    "CloudBadResponse",
    "CloudBusy",
    "CloudClient",
    "CloudConflict",
    "CloudError",
    "CloudLogon",
    "CloudRejected",
    "CloudServerError",
    "CloudUnauthorised",
    "CloudUnreachable",
    "Geography",
    "Organisation",
    "Registration",
    "RegistrationResult",
]
