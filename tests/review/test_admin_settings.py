"""Admin settings: stored in the database, applied by site.effective, bad values kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.models import AuditEvent
from intake.services import site
from tests.support.factories import csrf_token

VALUES = {"ack_due_days": "3", "response_due_days": "14", "stats_threshold": "10",
          "retention_days": "365", "admins_need_security_key": "0"}


def _save(client: Any, **values: str) -> Any:
    token = csrf_token(client.get("/admin/settings").get_data(as_text=True))
    return client.post("/admin/settings", data={"csrf_token": token, **values})


def test_settings_are_saved_applied_and_audited(review_client, make_staff, login_as, session,
                                                settings):
    login_as(review_client, make_staff("admin"))
    page = review_client.get("/admin/settings").get_data(as_text=True)
    assert f'value="{settings.ack_due_days}"' in page
    response = _save(review_client, **VALUES)
    assert response.status_code == 302
    assert "Settings saved" in review_client.get(response.headers["Location"]).get_data(
        as_text=True)
    effective = site.effective(session, settings)
    assert (effective.ack_due_days, effective.response_due_days, effective.stats_threshold,
            effective.retention_days) == (3, 14, 10, 365)
    entry = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "settings.change")).one()
    assert '"stats_threshold": 10' in entry.detail


def test_bad_values_are_refused_and_shown_back(review_client, make_staff, login_as, session,
                                               settings):
    login_as(review_client, make_staff("admin"))
    for name, bad in (("stats_threshold", "1"), ("ack_due_days", "soon"),
                      ("retention_days", "-5"), ("response_due_days", "")):
        response = _save(review_client, **{**VALUES, name: bad})
        assert response.status_code == 400, name
        assert f'value="{bad}"' in response.get_data(as_text=True) or bad == ""
    assert site.effective(session, settings) == settings


def test_requiring_security_keys_for_admins_is_saved_and_audited(
        review_client, make_staff, login_as, session, settings):
    login_as(review_client, make_staff("admin"))
    assert site.effective(session, settings).admins_need_security_key is False
    response = _save(review_client, **{**VALUES, "admins_need_security_key": "2"})
    assert response.status_code == 400
    assert _save(review_client, **{**VALUES, "admins_need_security_key": "1"}).status_code == 302
    assert site.effective(session, settings).admins_need_security_key is True
    entry = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "settings.change")).one()
    assert '"admins_need_security_key": 1' in entry.detail
    # This admin has no key yet: from now on only the key page is open to them.
    assert review_client.get("/admin/settings").headers["Location"] == "/account/keys"
