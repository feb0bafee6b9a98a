"""The sample configurations match onboard_tui.mail.config: the IMAP ones load."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from onboard_tui.mail.config import MigrationConfig, make_imap_target, make_source
from onboard_tui.mail.imap_source import ImapSource
from onboard_tui.session.secrets import SecretRef

SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs"


def load(name: str) -> MigrationConfig:
    return MigrationConfig.from_document(tomlkit.parse((SAMPLES / name).read_text()))


@pytest.mark.parametrize("name", ["domino-imap-to-cloud.toml", "imap-to-imap.toml"])
def test_imap_samples_load(name: str) -> None:
    config = load(name)
    assert config.concurrency == 4 and config.batch_items == 200
    assert isinstance(make_source(config.source), ImapSource)
    for table in (config.source, config.target):
        for key in ("password", "master_password"):
            if key in table:
                SecretRef.parse(table[key].replace("{local}", "x"))
    if config.target["kind"] == "imap":
        target = make_imap_target(config.target)
        assert target.describe()
    else:
        assert config.concurrency_of("Pilot") == 2


def test_the_exchange_sample_loads_as_an_ews_source() -> None:
    text = (SAMPLES / "exchange-to-cloud.toml").read_text()
    assert "NOT BUILT YET" not in text and "ApplicationImpersonation" in text
    config = load("exchange-to-cloud.toml")
    source = make_source(config.source, environ={})
    assert source.kind == "ews"
    assert source.describe() == (
        "Exchange 2016 (EWS) https://mail.renovations.com/EWS/Exchange.asmx"
    )
    assert SecretRef.parse(config.source["password"]).kind == "env"
    assert config.concurrency_of("Pilot") == 2


def test_the_systemd_unit_runs_the_runner() -> None:
    unit = (SAMPLES / "onboard-tui.service").read_text()
    for line in ("User=", "WorkingDirectory=", "Restart=on-failure", "KillSignal=SIGTERM"):
        assert line in unit
    assert "onboard-tui run %h/" in unit and "--watch" in unit
