"""`user_migration_facts`: the plain per-user facts Step 5's readiness gate reads
(migrated, final delta pass done), from a real engine run into a memory target."""

from __future__ import annotations

from pathlib import Path

from onboard_tui.clock import FrozenClock
from onboard_tui.mail.archive import MaildirSource
from onboard_tui.mail.engine import GroupPlan, MigrationEngine
from onboard_tui.mail.status import user_migration_facts
from onboard_tui.session.model import TransferSettings
from onboard_tui.session.statedb import StateDB
from tests.unit.test_mail_core import NOW, MemoryTarget, make_maildir


def test_facts_follow_the_full_pass_then_the_delta_pass(tmp_path: Path) -> None:
    make_maildir(tmp_path / "alice")
    db = StateDB(tmp_path / "state.db")
    engine = MigrationEngine(
        db, MaildirSource(str(tmp_path / "{local}")), MemoryTarget(), FrozenClock(NOW)
    )
    plan = GroupPlan("G", ["alice", "nobody"], TransferSettings("full"))
    try:
        assert user_migration_facts(db) == {}
        engine.start([plan])
        assert engine.wait(10)
        facts = user_migration_facts(db)
        alice, nobody = facts["alice"], facts["nobody"]
        assert (alice.state, alice.migrated, alice.final_delta_done) == ("done", True, False)
        assert alice.group == "G" and alice.passes == 1 and alice.last_pass_finished
        assert (nobody.state, nobody.migrated, nobody.final_delta_done) == ("failed", False, False)
        assert nobody.reason
        (tmp_path / "alice" / "new" / "5.e.host").write_bytes(b"Subject: later\n\n")
        engine.start([plan], delta=True)
        assert engine.wait(10)
        facts = user_migration_facts(db)
        assert (facts["alice"].migrated, facts["alice"].final_delta_done) == (True, True)
        assert facts["alice"].passes == 2
        assert not facts["nobody"].migrated and not facts["nobody"].final_delta_done
    finally:
        engine.stop()
        db.close()


def test_a_folder_left_incomplete_means_not_migrated(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    try:
        with db.transaction() as conn:
            conn.execute(
                "INSERT INTO mail_jobs (user, group_name, state, passes, updated) "
                "VALUES ('a@x.com', 'G', 'done', 2, 'x'), ('b@x.com', 'G', 'done', 2, 'x')"
            )
            conn.execute(
                "INSERT INTO mail_checkpoints VALUES ('a@x.com', 'INBOX', 'v', 9, 9, 9, 0, 'x')"
            )
        facts = user_migration_facts(db)
        assert not facts["a@x.com"].migrated and not facts["a@x.com"].final_delta_done
        assert facts["b@x.com"].migrated and facts["b@x.com"].final_delta_done
    finally:
        db.close()
