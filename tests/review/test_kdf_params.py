"""Argon2id parameters per account: changing the staff_kdf_* settings locks nobody out, and
the next sign-in or passphrase change brings the account to the new settings."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from intake.crypto import Argon2Params, hash_needs_rehash, hash_params, verify_passphrase
from intake.models import AuditEvent, Staff
from intake.services import login as login_service
from intake.services.account import change_passphrase
from intake.services.credentials import kek_params, stored_kek_params, unlock_private_key
from intake.services.sessions import load_session
from tests.support.factories import csrf_token

OLD = Argon2Params(1, 1024, 1)  # the test settings' staff_kdf_*
NEW = Argon2Params(2, 2048, 1)


@pytest.fixture
def changed(settings: Any) -> Any:
    """The same instance after an operator raised the staff_kdf_* settings."""
    return settings.replace(staff_kdf_time_cost=NEW.time_cost,
                            staff_kdf_memory_kib=NEW.memory_cost_kib,
                            staff_kdf_parallelism=NEW.parallelism)


def _staff(session: Any, staff_id: str) -> Staff:
    session.expire_all()
    row = session.get(Staff, staff_id)
    assert row is not None
    return row


def _upgrades(session: Any) -> int:
    return len(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "account.kdf_upgrade")).all())


def _forget_params(session: Any, staff_id: str) -> None:
    """What a row wrapped before revision 0008 looks like."""
    staff = _staff(session, staff_id)
    staff.kek_time_cost = staff.kek_memory_kib = staff.kek_parallelism = None
    session.commit()


def test_new_accounts_record_their_parameters(session: Any, make_staff: Any) -> None:
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    assert stored_kek_params(staff) == OLD
    assert hash_params(staff.password_hash or "") == OLD
    analyst = _staff(session, make_staff("analyst").id)
    assert stored_kek_params(analyst) is None and analyst.wrapped_private_key is None


def test_login_survives_a_settings_change_and_rewraps_with_the_new_parameters(
        session: Any, settings: Any, changed: Any, make_staff: Any) -> None:
    member = make_staff("reviewer")
    before = _staff(session, member.id)
    private = unlock_private_key(settings, before, member.passphrase)
    old_wrap, old_salt = before.wrapped_private_key, before.kek_salt

    result = login_service.check_passphrase(session, changed, member.username,
                                            member.passphrase, client="test-client")
    assert result.ok and result.half is not None
    staff = _staff(session, member.id)
    assert stored_kek_params(staff) == NEW
    assert staff.wrapped_private_key != old_wrap and staff.kek_salt != old_salt
    assert hash_params(staff.password_hash or "") == NEW
    assert not hash_needs_rehash(staff.password_hash or "", NEW)
    assert verify_passphrase(staff.password_hash or "", member.passphrase)
    # The wrap now opens with its recorded parameters, whatever the settings say.
    assert unlock_private_key(changed, staff, member.passphrase) == private
    assert unlock_private_key(settings, staff, member.passphrase) == private
    # The session made at this sign-in holds the same key.
    from intake.services.sessions import private_key

    row = load_session(session, changed, result.half.session_id)
    assert row is not None and private_key(row, result.half) == private
    assert _upgrades(session) == 1


def test_the_next_login_does_no_upgrade_work(session: Any, changed: Any,
                                             make_staff: Any) -> None:
    member = make_staff("reviewer")
    assert login_service.check_passphrase(session, changed, member.username,
                                          member.passphrase, client="test-client").ok
    wrap, hashed = (_staff(session, member.id).wrapped_private_key,
                    _staff(session, member.id).password_hash)
    assert login_service.check_passphrase(session, changed, member.username,
                                          member.passphrase, client="test-client").ok
    staff = _staff(session, member.id)
    assert (staff.wrapped_private_key, staff.password_hash) == (wrap, hashed)
    assert _upgrades(session) == 1


def test_a_wrong_passphrase_upgrades_nothing(session: Any, changed: Any,
                                             make_staff: Any) -> None:
    member = make_staff("reviewer")
    wrap = _staff(session, member.id).wrapped_private_key
    assert not login_service.check_passphrase(session, changed, member.username,
                                              "not the passphrase at all", client="test-client").ok
    staff = _staff(session, member.id)
    assert staff.wrapped_private_key == wrap and stored_kek_params(staff) == OLD
    assert _upgrades(session) == 0


def test_rows_from_before_the_record_unlock_and_are_stamped_without_rewrapping(
        session: Any, settings: Any, make_staff: Any) -> None:
    member = make_staff("reviewer")
    _forget_params(session, member.id)
    legacy = _staff(session, member.id)
    assert kek_params(settings, legacy) == OLD
    private = unlock_private_key(settings, legacy, member.passphrase)
    wrap, salt, hashed = legacy.wrapped_private_key, legacy.kek_salt, legacy.password_hash

    assert login_service.check_passphrase(session, settings, member.username,
                                          member.passphrase, client="test-client").ok
    staff = _staff(session, member.id)
    assert stored_kek_params(staff) == OLD
    assert (staff.wrapped_private_key, staff.kek_salt, staff.password_hash) == (wrap, salt,
                                                                                 hashed)
    assert unlock_private_key(settings, staff, member.passphrase) == private


def test_rows_from_before_the_record_survive_a_settings_change(
        session: Any, settings: Any, changed: Any, make_staff: Any) -> None:
    """Their wrap used the parameters their passphrase hash carries, not today's settings."""
    member = make_staff("admin")
    _forget_params(session, member.id)
    private = unlock_private_key(settings, _staff(session, member.id), member.passphrase)
    assert login_service.check_passphrase(session, changed, member.username,
                                          member.passphrase, client="test-client").ok
    staff = _staff(session, member.id)
    assert stored_kek_params(staff) == NEW and hash_params(staff.password_hash or "") == NEW
    assert unlock_private_key(changed, staff, member.passphrase) == private


def test_analyst_hash_is_rehashed_on_login(session: Any, changed: Any,
                                          make_staff: Any) -> None:
    member = make_staff("analyst")
    assert hash_needs_rehash(_staff(session, member.id).password_hash or "", NEW)
    assert login_service.check_passphrase(session, changed, member.username,
                                          member.passphrase, client="test-client").ok
    staff = _staff(session, member.id)
    assert not hash_needs_rehash(staff.password_hash or "", NEW)
    assert verify_passphrase(staff.password_hash or "", member.passphrase)
    assert staff.wrapped_private_key is None and stored_kek_params(staff) is None


def test_passphrase_change_rewraps_with_the_current_settings(
        session: Any, settings: Any, changed: Any, make_staff: Any) -> None:
    member = make_staff("reviewer")
    private = unlock_private_key(settings, _staff(session, member.id), member.passphrase)
    new_passphrase = "a completely different passphrase"
    change_passphrase(session, changed, _staff(session, member.id), member.passphrase,
                      new_passphrase, keep_session_id="none", client="test-client")
    staff = _staff(session, member.id)
    assert stored_kek_params(staff) == NEW and hash_params(staff.password_hash or "") == NEW
    assert unlock_private_key(settings, staff, new_passphrase) == private


def test_a_damaged_wrap_refuses_the_sign_in_without_a_500(
        review_app: Any, session: Any, make_staff: Any) -> None:
    member = make_staff("reviewer")
    staff = _staff(session, member.id)
    staff.kek_time_cost = 3  # parameters that did not make this wrap
    session.commit()
    client = review_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": member.username,
                                           "passphrase": member.passphrase})
    assert response.status_code == 401
    assert "Sign-in failed" in response.get_data(as_text=True)


def test_sign_in_over_http_after_the_settings_changed(changed: Any, database: Any,
                                                      session: Any, make_staff: Any) -> None:
    from intake.review import create_app

    member = make_staff("reviewer")
    app = create_app(changed, database)
    app.config["TESTING"] = True
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": member.username,
                                           "passphrase": member.passphrase})
    assert response.status_code == 302 and response.headers["Location"] == "/enrol"
    assert stored_kek_params(_staff(session, member.id)) == NEW


def test_migration_0008_leaves_existing_accounts_usable(database: Any, settings: Any,
                                                        changed: Any, make_staff: Any) -> None:
    """An account created before revision 0008 (down to 0005 and up again: NULL columns)
    signs in after the settings changed, and is upgraded."""
    from alembic import command
    from sqlalchemy import inspect

    from intake.migrate import alembic_config, upgrade

    member = make_staff("reviewer")
    with database.engine.begin() as conn:
        cfg = alembic_config(settings.database_url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    columns = {c["name"] for c in inspect(database.engine).get_columns("staff")}
    assert "kek_time_cost" not in columns and "wrapped_private_key" in columns
    upgrade(settings.database_url, engine=database.engine)
    with database.transaction() as s:
        legacy = s.get(Staff, member.id)
        assert legacy is not None and stored_kek_params(legacy) is None
        assert login_service.check_passphrase(s, changed, member.username,
                                              member.passphrase, client="test-client").ok
    with database.transaction() as s:
        staff = s.get(Staff, member.id)
        assert staff is not None and stored_kek_params(staff) == NEW
