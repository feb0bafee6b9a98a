"""The contract's resources as the sandbox implements them, one module per resource."""

from onboard_tui.cloud.sandbox.handlers import (
    domains,
    geographies,
    mailboxes,
    organisations,
    service,
    sessions,
    users,
)
from onboard_tui.cloud.sandbox.router import Route

ROUTES = (
    Route("GET", "/", service.index),
    Route("GET", "/v1/geographies", geographies.list_geographies),
    Route("POST", "/v1/organisations", organisations.register),
    Route("GET", "/v1/organisation", organisations.show),
    Route("POST", "/v1/sessions", sessions.logon),
    Route("GET", "/v1/domains", domains.list_domains),
    Route("PUT", "/v1/domains/{domain}", domains.add_domain),
    Route("GET", "/v1/domains/{domain}", domains.show_domain),
    Route("POST", "/v1/domains/{domain}/verification", domains.begin),
    Route("POST", "/v1/domains/{domain}/verification/restart", domains.restart),
    Route("PUT", "/v1/mailboxes/{email}/items/{source_id}", mailboxes.put_item),
    Route("GET", "/v1/mailboxes/{email}/items/{source_id}", mailboxes.show_item),
    Route("GET", "/v1/mailboxes/{email}/usage", mailboxes.usage),
    Route("GET", "/v1/users", users.list_users),
    Route("PUT", "/v1/users/{email}", users.provision),
    Route("GET", "/v1/users/{email}", users.show_user),
    Route("PUT", "/v1/users/{email}/subscription", users.assign),
    Route("DELETE", "/v1/users/{email}/subscription", users.unassign),
    Route("POST", "/v1/users/{email}/activation", users.activate),
)

#: In the contract, not in the sandbox yet: answered with 501 rather than 404 (none today).
PLANNED: tuple[str, ...] = ()

__all__ = ["PLANNED", "ROUTES"]
