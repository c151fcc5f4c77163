"""The reporter's receipt code cannot be lost and a re-sent form is not a second report.

Attacks and accidents tried here: a reload or restored tab re-posting the form, a double tap
racing itself, a forged or stale code field, a language switch after submitting, and anyone
looking for the code in a cookie, a URL, a log line or a file the service wrote.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from sqlalchemy import func, select

from intake.models import Case, Item, Staff
from intake.payloads import ReportAnswers
from intake.services import reports
from intake.services.credentials import unlock_private_key
from intake.services.reading import open_item
from tests.support.canary import files_under, hits, read_files
from tests.support.factories import csrf_token, form_receipt_code, receipt_code, report_fields

CODE_RE = re.compile(r"^\d{5}( \d{5}){5}$")


def _cases(session: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Case)) or 0


def _served(client: Any) -> tuple[str, str]:
    page = client.get("/").get_data(as_text=True)
    return form_receipt_code(page), csrf_token(page)


def _post(client: Any, code: str, token: str, **overrides: Any) -> Any:
    data = {"receipt_code": code, "csrf_token": token, **report_fields(**overrides)}
    return client.post("/", data=data, content_type="multipart/form-data")


def test_the_code_is_on_the_form_before_anything_is_typed(public_client, make_staff):
    make_staff("reviewer")
    page = public_client.get("/").get_data(as_text=True)
    code = form_receipt_code(page)
    assert CODE_RE.match(code)
    # Shown in words at the top of the form, before the first field.
    shown = page.index(f"<strong>{code}</strong>")
    assert shown < page.index('name="what"')
    assert "Write it down now" in page
    # A new visit draws a new code: nothing is kept between page loads.
    assert form_receipt_code(public_client.get("/").get_data(as_text=True)) != code


def test_reposting_the_same_form_is_one_report_with_the_same_code(public_client, make_staff,
                                                                  session):
    make_staff("reviewer")
    code, token = _served(public_client)
    first = _post(public_client, code, token)
    assert first.status_code == 200 and receipt_code(first.get_data(as_text=True)) == code
    for _ in range(3):  # reload and "confirm resubmission", a restored tab, a retry
        again = _post(public_client, code, token)
        body = again.get_data(as_text=True)
        assert again.status_code == 200
        assert receipt_code(body) == code
        assert "We had already received this report" in body
    assert _cases(session) == 1


def test_another_conflict_is_not_taken_for_a_repeat(public_client, make_staff, session,
                                                     monkeypatch):
    """Only the look-up id makes a post a repeat: any other unique clash (here a forced
    reference collision) must not answer "already received" for a report never stored."""
    make_staff("reviewer")
    first = _post(public_client, *_served(public_client))
    taken = session.scalars(select(Case.reference)).one()
    monkeypatch.setattr(reports, "new_reference", lambda: taken)
    code, token = _served(public_client)
    clash = _post(public_client, code, token, what="Text that must come back")
    body = clash.get_data(as_text=True)
    assert first.status_code == 200 and clash.status_code == 503
    assert "already received" not in body and "Text that must come back" in body
    assert _cases(session) == 1


def test_a_reference_clash_is_drawn_again_and_the_report_stored(public_client, make_staff,
                                                                 session, monkeypatch):
    """References are not looked up before the insert (a query fewer per report): a drawn
    reference that is taken must fail the insert, be drawn again, and store the report
    under a fresh reference, with its receipt code shown once and stored once."""
    make_staff("reviewer")
    _post(public_client, *_served(public_client))
    taken = session.scalars(select(Case.reference)).one()
    drawn = iter([taken, taken, "ZZZZ-2345"])
    monkeypatch.setattr(reports, "new_reference", lambda: next(drawn))
    code, token = _served(public_client)
    stored = _post(public_client, code, token)
    assert stored.status_code == 200 and receipt_code(stored.get_data(as_text=True)) == code
    session.expire_all()
    assert sorted(session.scalars(select(Case.reference))) == sorted([taken, "ZZZZ-2345"])


def test_concurrent_posts_of_one_form_store_one_report(public_app, make_staff, session):
    make_staff("reviewer")
    client = public_app.test_client()
    code, token = _served(client)
    cookie = client.get_cookie("intake_public")
    results: list[int] = []

    def post() -> None:
        other = public_app.test_client()
        other.set_cookie(cookie.key, cookie.value)
        results.append(_post(other, code, token).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 4
    assert _cases(session) == 1


def test_a_forged_or_stale_code_field_gets_a_fresh_well_formed_code(public_client, make_staff,
                                                                    session):
    make_staff("reviewer")
    _code, token = _served(public_client)
    for forged in ("", "123", "0" * 31, "x" * 5000, "١٢٣"):
        response = _post(public_client, forged, token)
        assert response.status_code == 200
        shown = receipt_code(response.get_data(as_text=True))
        assert CODE_RE.match(shown)
    assert _cases(session) == 5


def test_the_code_survives_a_refused_form(public_client, make_staff):
    """A validation error gives the form back with the same code, so a fixed and re-sent
    form still matches what the reporter wrote down."""
    make_staff("reviewer")
    code, token = _served(public_client)
    refused = _post(public_client, code, token, region="atlantis")
    assert refused.status_code == 400
    assert form_receipt_code(refused.get_data(as_text=True)) == code
    assert receipt_code(_post(public_client, code, token).get_data(as_text=True)) == code


def test_switching_language_on_the_receipt_page_keeps_the_code(public_client, make_staff):
    make_staff("reviewer")
    code, token = _served(public_client)
    page = _post(public_client, code, token).get_data(as_text=True)
    assert 'formaction="/receipt/shown?lang=ru"' in page
    switched = public_client.post("/receipt/shown?lang=ru",
                                  data={"code": code, "csrf_token": csrf_token(page)})
    body = switched.get_data(as_text=True)
    assert switched.status_code == 200
    assert '<html lang="ru">' in body and receipt_code(body) == code
    assert "Location" not in switched.headers
    wrong = public_client.post("/receipt/shown?lang=ru",
                               data={"code": "1" * 30, "csrf_token": csrf_token(page)})
    assert wrong.status_code == 400 and "1" * 30 not in wrong.get_data(as_text=True)[:0]


def test_the_code_is_in_no_cookie_url_log_or_file(public_client, make_staff, settings,
                                                  caplog, capfd):
    caplog.set_level(logging.DEBUG)
    make_staff("reviewer")
    code, token = _served(public_client)
    seen_headers: list[str] = []
    for response in (_post(public_client, code, token), _post(public_client, code, token)):
        seen_headers += [f"{k}: {v}" for k, v in response.headers.items()]
    page = _post(public_client, code, token).get_data(as_text=True)
    switched = public_client.post("/receipt/shown?lang=ky",
                                  data={"code": code, "csrf_token": csrf_token(page)})
    seen_headers += [f"{k}: {v}" for k, v in switched.headers.items()]
    digits = code.replace(" ", "")
    forms = [code, digits, code.replace(" ", "-")]
    assert not any(form in header for form in forms for header in seen_headers)
    jar = "; ".join(f"{c.key}={c.value}" for c in public_client._cookies.values())
    assert not any(form in jar for form in forms)
    blobs = read_files(files_under(settings.data_dir))
    captured = capfd.readouterr()
    blobs.append(("log", "\n".join(r.getMessage() for r in caplog.records).encode()))
    blobs.append(("std streams", (captured.out + captured.err).encode()))
    assert hits(forms, blobs) == []
    planted = settings.data_dir / "planted.txt"
    planted.write_text(f"x{digits}x")
    assert hits(forms, read_files([planted]))


def test_long_testimony_is_stored_whole(public_client, make_staff, session, settings):
    reviewer = make_staff("reviewer")
    what = ("Они следили за мной и записывали звонки. Ң ө ү. oʻ gʻ. " * 600)[:30_000]
    assert len(what) == 30_000
    response = _post(public_client, *_served(public_client), what=what)
    assert response.status_code == 200
    key = unlock_private_key(settings, session.get(Staff, reviewer.id), reviewer.passphrase)
    item = session.scalars(select(Item).where(Item.kind == "report")).one()
    assert ReportAnswers.decode(open_item(session, item, key, staff_id=reviewer.id)).what == what


def test_too_long_testimony_is_refused_with_counts_and_kept(public_client, make_staff, session):
    make_staff("reviewer")
    what = "Полный рассказ, который нельзя обрезать. " * 3660
    what = what[:150_000]
    code, token = _served(public_client)
    page = public_client.get("/").get_data(as_text=True)
    assert 'maxlength' not in page.split('id="what"')[1].split(">")[0]
    response = _post(public_client, code, token, what=what)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "150,000" in body and "100,000" in body
    assert what in body  # every character given back, nothing cut
    assert form_receipt_code(body) == code
    assert _cases(session) == 0


def test_the_form_says_who_runs_it_and_when_replies_come(settings, database, make_staff):
    from intake.public import create_app

    cfg = settings.replace(organisation_name="Bir Duino Centre",
                           organisation_contact_url="https://example.org/contact",
                           usual_reply_days=3)
    make_staff("reviewer")
    page = create_app(cfg, database).test_client().get("/").get_data(as_text=True)
    before_first_field = page[:page.index('name="what"')]
    assert "This service is run by Bir Duino Centre." in before_first_field
    assert 'href="https://example.org/contact"' in before_first_field
    assert "We usually reply within 3 days." in before_first_field
    assert "Tor Browser" in before_first_field and 'href="/safety"' in before_first_field


def test_a_contact_url_that_is_not_a_web_address_is_refused(tmp_path):
    import pytest

    from intake.settings import SettingsError, load_settings

    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil.example"):
        with pytest.raises(SettingsError):
            load_settings(environ={}, data_dir=str(tmp_path), organisation_contact_url=bad)


def test_the_case_page_lists_what_arrived_but_not_its_content(public_client, make_staff):
    from tests.public.helpers import open_receipt_page

    make_staff("reviewer")
    code, token = _served(public_client)
    _post(public_client, code, token, what="SECRET-WORDS-OF-THE-REPORT")
    page = open_receipt_page(public_client, code).get_data(as_text=True)
    assert "What you sent" in page and "your report" in page
    assert "SECRET-WORDS-OF-THE-REPORT" not in page
    sent = public_client.post("/receipt/followup", data={
        "code": code, "text": "More: SECRET-FOLLOWUP", "csrf_token": csrf_token(page)},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "more information" in sent and "SECRET-FOLLOWUP" not in sent.split("What you sent")[1]
