"""Does the new SMTP host answer? Connect, EHLO, and see whether STARTTLS is offered.

Part of the MX readiness gate: switching the MX to a host that does not answer loses mail.
Never raises for network trouble; the result says what happened in a sentence.
"""

from __future__ import annotations

import smtplib
import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class SmtpProbe:
    """What the SMTP host did: connected, greeted, answered EHLO, offered STARTTLS."""

    host: str
    port: int
    address: str = ""
    connected: bool = False
    banner: str = ""
    ehlo: bool = False
    starttls: bool = False
    error: str = ""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.connected and self.ehlo and self.starttls

    @property
    def message(self) -> str:
        where = f"{self.host}:{self.port}"
        if self.error:
            return f"{where} {self.error}."
        if not self.starttls:
            return (
                f"{where} answers SMTP but does not offer STARTTLS: mail to it would travel "
                "unencrypted; check the host name for your geography."
            )
        return f"{where} answers SMTP and offers STARTTLS."


def probe_smtp(
    host: str, port: int = 25, *, timeout: float = 10.0, local_hostname: str | None = None
) -> SmtpProbe:
    """Connect to `host`, say EHLO, note STARTTLS, and QUIT, within `timeout` per step."""
    start = time.monotonic()
    client = smtplib.SMTP(timeout=timeout, local_hostname=local_hostname)
    address = banner = ""
    connected = ehlo = starttls = False
    error = ""
    try:
        code, text = client.connect(host, port)
        connected = True
        sock = client.sock
        if sock is not None:
            address = str(sock.getpeername()[0])
        banner = text.decode("utf-8", "replace")
        if code != 220:
            error = f"greeted with {code} instead of 220 ({banner})"
        else:
            code, text = client.ehlo()
            ehlo = code == 250
            if not ehlo:
                error = f"answered EHLO with {code} ({text.decode('utf-8', 'replace')})"
            starttls = ehlo and client.has_extn("starttls")
    except TimeoutError:
        error = f"did not answer within {timeout:g} s"
    except socket.gaierror:
        error = "is not a known host name"
    except ConnectionRefusedError:
        error = "refused the connection (nothing listens on that port)"
    except smtplib.SMTPServerDisconnected as exc:
        # smtplib reports a read timeout as a disconnection "...: timed out".
        timed_out = "timed out" in str(exc)
        error = f"did not answer within {timeout:g} s" if timed_out else "closed the connection"
    except (OSError, smtplib.SMTPException) as exc:
        error = f"cannot be reached: {exc}"
    finally:
        try:
            if connected:
                client.quit()
        except (OSError, smtplib.SMTPException):
            pass
        client.close()
    return SmtpProbe(
        host=host,
        port=port,
        address=address,
        connected=connected,
        banner=banner,
        ehlo=ehlo,
        starttls=starttls,
        error=error,
        elapsed=time.monotonic() - start,
    )
