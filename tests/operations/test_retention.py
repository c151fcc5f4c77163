"""Retention: closed cases past the period are crypto-shredded, wraps first; SQLite forgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from intake.models import AuditEvent, Case, CaseLabel, Item, KeyWrap, utcnow
from intake.services import retention, site
from tests.operations.helpers import make_case


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def kept(settings):
    return settings.replace(retention_days=30)


def test_retention_zero_never_purges(database, settings, session, make_staff):
    make_staff("reviewer")
    make_case(database, settings, "old", closed_at=utcnow() - timedelta(days=3650))
    counts = retention.purge(session, settings)
    assert counts.cases == 0
    assert _count(session, Case) == 1


def test_purge_shreds_only_cases_closed_past_the_period(database, kept, session, make_staff):
    make_staff("reviewer")
    now = utcnow()
    _code, old = make_case(database, kept, "old one", closed_at=now - timedelta(days=31),
                           blob=b"photo bytes" * 100)
    _code, recent = make_case(database, kept, "recent", closed_at=now - timedelta(days=29))
    _code, open_case = make_case(database, kept, "still open")
    blob = session.scalars(select(Item.blob_name).where(Item.case_id == old,
                                                       Item.blob_name.is_not(None))).one()
    assert (kept.blob_dir / blob).exists()

    counts = retention.purge(session, kept)

    assert (counts.cases, counts.items, counts.labels, counts.blobs) == (1, 2, 1, 1)
    assert counts.wraps == 2  # one reader, two items
    session.expire_all()
    assert session.get(Case, old) is None
    assert {c for c in session.scalars(select(Case.id))} == {recent, open_case}
    assert session.scalar(select(func.count()).select_from(Item)
                          .where(Item.case_id == old)) == 0
    assert session.scalar(select(func.count()).select_from(CaseLabel)
                          .where(CaseLabel.case_id == old)) == 0
    assert not (kept.blob_dir / blob).exists()
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "retention.purge")).one()
    assert old not in event.detail and '"cases": 1' in event.detail
    assert event.target is None


def test_admin_setting_overrides_configured_period(database, settings, session, make_staff):
    make_staff("reviewer")
    make_case(database, settings, "old", closed_at=utcnow() - timedelta(days=10))
    site.set_value(session, "retention_days", "7")
    session.commit()
    assert retention.purge(session, settings).cases == 1
    assert _count(session, Case) == 0


def test_dry_run_counts_and_deletes_nothing(database, kept, session, make_staff):
    make_staff("reviewer")
    make_case(database, kept, "old", closed_at=utcnow() - timedelta(days=40))
    counts = retention.purge(session, kept, dry_run=True)
    assert (counts.cases, counts.items, counts.wraps) == (1, 1, 1)
    assert _count(session, Case) == 1 and _count(session, KeyWrap) == 1
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "retention.dry_run")) == 1


def test_wraps_are_gone_even_if_the_rest_fails(database, kept, session, make_staff,
                                               monkeypatch):
    make_staff("reviewer")
    make_case(database, kept, "old", closed_at=utcnow() - timedelta(days=40))

    def _boom(*_args, **_kwargs):
        raise RuntimeError("crash after the wraps were committed")

    monkeypatch.setattr(retention, "_remove_rows", _boom)
    with pytest.raises(RuntimeError):
        retention.purge(session, kept)
    session.rollback()
    assert _count(session, Item) == 1  # ciphertext still there ...
    assert _count(session, KeyWrap) == 0  # ... but no key can open it any more


def test_sqlite_secure_delete_leaves_no_old_ciphertext(database, kept, session, make_staff,
                                                       db_backend):
    if db_backend != "sqlite":
        pytest.skip("SQLite file contents only")
    make_staff("reviewer")
    _code, case_id = make_case(database, kept, "old", closed_at=utcnow() - timedelta(days=40))
    make_case(database, kept, "kept")
    with database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
    item = session.scalars(select(Item).where(Item.case_id == case_id)).one()
    secrets_ = [item.ciphertext] + [w.wrapped for w in item.wraps]
    path = database.engine.url.database
    with database.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

    def _disk() -> bytes:
        data = b""
        for suffix in ("", "-wal"):
            try:
                with open(f"{path}{suffix}", "rb") as fh:
                    data += fh.read()
            except FileNotFoundError:
                pass
        return data

    assert all(s[:64] in _disk() for s in secrets_)  # the check can see them before
    session.close()
    retention.purge(session, kept)
    session.close()
    disk = _disk()
    assert not any(s[16:80] in disk for s in secrets_)


def test_cli_purge_prints_counts(database, kept, make_staff, monkeypatch):
    from intake.cli import main

    make_staff("reviewer")
    make_case(database, kept, "old", closed_at=utcnow() - timedelta(days=40))
    for name in ("data_dir", "database_url", "public_secret_key", "review_secret_key",
                 "rate_limit_secret"):
        monkeypatch.setenv(f"INTAKE_{name.upper()}", str(getattr(kept, name)))
    monkeypatch.setenv("INTAKE_RETENTION_DAYS", "30")
    result = CliRunner().invoke(main, ["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would purge: 1 cases" in result.output
    result = CliRunner().invoke(main, ["purge"])
    assert "purged: 1 cases, 1 items, 1 key wraps" in result.output
