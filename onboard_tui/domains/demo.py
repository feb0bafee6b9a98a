"""The demo's DNS: its own authoritative server, its port remembered, its domains listed.

A session on the sandbox profile starts `DemoDnsServer` (the zone `renovations.com` with
`west.renovations.com`, RFC 2136 with a TSIG key in a 0600 file) before the sandbox, which
then verifies through it. The port is kept in `[cloud] demo_dns_port` like the sandbox's,
and the demo's domains get update settings pointing at it (the secret as `file:...`).
"""

from __future__ import annotations

import logging

from onboard_tui.dns.demo_server import DemoDnsServer
from onboard_tui.errors import OnboardError
from onboard_tui.roadmap import StepId
from onboard_tui.session.model import DomainRecord, SessionData
from onboard_tui.session.store import SessionStore

log = logging.getLogger(__name__)


def start_demo_dns(store: SessionStore) -> DemoDnsServer:
    """Start the demo DNS server on the session's port (a free one the first time)."""
    wanted = store.data.cloud.demo_dns_port
    server = DemoDnsServer(store.folder, port=wanted)
    try:
        server.start()
    except OnboardError:
        if not wanted:
            raise
        log.warning("port %d is taken; the demo DNS server moves to a free one", wanted)
        server = DemoDnsServer(store.folder)
        server.start()
    if store.read_only:
        return server
    try:
        store.update(lambda data: _remember(data, server, wanted))
    except BaseException:
        server.stop()
        raise
    return server


def _remember(data: SessionData, server: DemoDnsServer, old_port: int) -> None:
    """Record the port; list the demo's domain the first time; follow a moved port."""
    data.cloud.demo_dns_port = server.port
    config = server.update_config()
    if not data.domains and data.organisation is None and StepId.VERIFY not in data.steps:
        data.domains.append(
            DomainRecord(name=server.zone_name, subdomains=[server.subdomain], update=config)
        )
        return
    for domain in data.domains:
        update = domain.update
        if update is not None and update.server == server.host and update.port == old_port:
            update.port = server.port
