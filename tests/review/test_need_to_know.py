"""Need to know, from the attacker's side: a reader outside a case's team, or cut out of it by
a move or a restriction, holds no wrap row (checked in the database) and the review app
shows them nothing of the case beyond, for a restricted case of their team, its reference."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from intake.models import AuditEvent, Case, CaseTeam, Item, KeyWrap, Staff, Team
from intake.services import need_to_know as ntk
from intake.services import routing, teams
from intake.services.credentials import unlock_private_key
from tests.support.factories import StaffHandle, csrf_token, submit_report

OSH_TEXT = "Officers from the security service searched our Osh office at night."
NARYN_TEXT = "A journalist in Naryn was followed by a grey car for a week."


@pytest.fixture
def org(database: Any, make_staff: Any, recovery_key: Any) -> dict[str, Any]:
    """Osh office (osh, osh_city) and Intake (the default); Legal with its own member."""
    people = {name: make_staff(role, username=name) for name, role in [
        ("admin", "admin"), ("osh1", "reviewer"), ("osh2", "reviewer"), ("osh3", "reviewer"),
        ("desk", "reviewer"), ("lawyer", "reviewer"), ("outsider", "reviewer")]}
    with database.transaction() as s:
        actor = s.get(Staff, people["admin"].id)
        ids = {}
        for name in ("Intake", "Osh office", "Legal"):
            ids[name] = teams.create_team(s, actor, name).id
        for member, team in [("osh1", "Osh office"), ("osh2", "Osh office"),
                             ("osh3", "Osh office"), ("desk", "Intake"), ("lawyer", "Legal")]:
            teams.add_member(s, actor, ids[team], people[member].id)
        teams.set_rule(s, actor, "osh", ids["Osh office"])
        teams.set_rule(s, actor, "osh_city", ids["Osh office"])
    return {"people": people, "teams": ids, "recovery": recovery_key}


def _wrap_holders(session: Any, case_id: str) -> set[str]:
    """Usernames holding ANY staff wrap on ANY item of the case (the database, not the UI)."""
    return set(session.scalars(
        select(Staff.username).join(KeyWrap, KeyWrap.staff_id == Staff.id)
        .join(Item, Item.id == KeyWrap.item_id).where(Item.case_id == case_id)))


def _recovery_wraps(session: Any, case_id: str) -> int:
    return session.scalar(select(func.count()).select_from(KeyWrap).join(
        Item, Item.id == KeyWrap.item_id).where(Item.case_id == case_id,
                                                KeyWrap.recovery_key_id.is_not(None))) or 0


def _key(settings: Any, session: Any, handle: StaffHandle) -> bytes:
    return unlock_private_key(settings, session.get(Staff, handle.id), handle.passphrase)


def _submit(public_client: Any, region: str, what: str) -> None:
    assert submit_report(public_client, region=region, what=what).status_code == 200


def _only_case(session: Any) -> Case:
    return session.scalars(select(Case)).one()


def test_routing_by_region_sends_cases_to_the_right_team(org: Any, public_client: Any,
                                                         session: Any) -> None:
    _submit(public_client, "osh_city", OSH_TEXT)
    osh_case = _only_case(session)
    _submit(public_client, "naryn", NARYN_TEXT)
    naryn_case = session.scalars(select(Case).where(Case.id != osh_case.id)).one()
    assert _wrap_holders(session, osh_case.id) == {"osh1", "osh2", "osh3"}
    assert _wrap_holders(session, naryn_case.id) == {"desk"}  # no rule: the default team
    for case in (osh_case, naryn_case):
        assert _recovery_wraps(session, case.id) == 1
    names = {c: set(session.scalars(select(Team.name).join(CaseTeam).where(
        CaseTeam.case_id == c.id))) for c in (osh_case, naryn_case)}
    assert names == {osh_case: {"Osh office"}, naryn_case: {"Intake"}}


def test_admins_read_all_is_off_by_default_and_then_routes_to_admins(
        org: Any, public_client: Any, session: Any) -> None:
    assert routing.admins_read_all(session) is False
    _submit(public_client, "osh", OSH_TEXT)
    assert "admin" not in _wrap_holders(session, _only_case(session).id)
    routing.set_admins_read_all(session, True)
    session.commit()
    _submit(public_client, "talas", NARYN_TEXT)
    newest = session.scalars(select(Case).where(
        Case.id != _only_case_id_with(session, "Osh office"))).one()
    assert _wrap_holders(session, newest.id) == {"desk", "admin"}


def _only_case_id_with(session: Any, team: str) -> str:
    return session.scalars(select(CaseTeam.case_id).join(Team).where(Team.name == team)).one()


def test_outsider_holds_no_wrap_and_sees_no_content_or_triage(
        org: Any, public_client: Any, review_client: Any, login_as: Any,
        session: Any) -> None:
    _submit(public_client, "osh", OSH_TEXT)
    case = _only_case(session)
    outsider = org["people"]["outsider"]
    assert session.scalar(select(func.count()).select_from(KeyWrap).where(
        KeyWrap.staff_id == outsider.id)) == 0
    login_as(review_client, outsider)
    inbox = review_client.get("/").get_data(as_text=True)
    assert case.reference not in inbox and "security service searched" not in inbox
    page = review_client.get(f"/cases/{case.reference}")
    assert page.status_code == 403  # the review guard: no wrap of the report, no case
    body = page.get_data(as_text=True)
    assert OSH_TEXT not in body and "Surveillance" not in body and "New" not in body
    assert review_client.get(f"/cases/{case.reference}?status=new").status_code == 403


def test_move_rewraps_to_the_new_team_and_deletes_every_old_wrap(
        org: Any, public_client: Any, review_client: Any, login_as: Any, session: Any,
        settings: Any) -> None:
    _submit(public_client, "osh", OSH_TEXT)
    case = _only_case(session)
    osh1 = org["people"]["osh1"]
    from intake.services.triage import add_note
    add_note(session, session.get(Staff, osh1.id), case, "Call the lawyer tomorrow.")
    outsider = org["people"]["outsider"]
    with pytest.raises(ntk.NeedToKnowError):
        ntk.move_case(session, session.get(Staff, outsider.id),
                      _key(settings, session, outsider), case, [org["teams"]["Legal"]])
    session.rollback()
    done = ntk.move_case(session, session.get(Staff, osh1.id), _key(settings, session, osh1),
                         case, [org["teams"]["Legal"]])
    assert done.unreachable == 0 and done.removed == 6  # 3 readers x (report + note)
    session.expire_all()
    assert _wrap_holders(session, case.id) == {"lawyer"}
    assert _recovery_wraps(session, case.id) == 2
    items = session.scalar(select(func.count()).select_from(Item).where(Item.case_id == case.id))
    lawyer_wraps = session.scalar(select(func.count()).select_from(KeyWrap).where(
        KeyWrap.staff_id == org["people"]["lawyer"].id))
    assert lawyer_wraps == items == 2
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.move")).one()
    assert event.target == case.reference and "Legal" in event.detail
    login_as(review_client, org["people"]["lawyer"])
    page = review_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert OSH_TEXT in page and "Call the lawyer tomorrow." in page
    login_as(review_client, org["people"]["osh2"])
    assert review_client.get(f"/cases/{case.reference}").status_code == 403


def test_restrict_deletes_other_wraps_and_shows_only_the_reference(
        org: Any, public_client: Any, review_client: Any, login_as: Any, session: Any,
        settings: Any) -> None:
    _submit(public_client, "osh", OSH_TEXT)
    case = _only_case(session)
    osh1, osh2, osh3 = (org["people"][n] for n in ("osh1", "osh2", "osh3"))
    ntk.restrict_case(session, session.get(Staff, osh1.id), _key(settings, session, osh1),
                      case, [osh2.id])
    session.expire_all()
    assert _wrap_holders(session, case.id) == {"osh1", "osh2"}
    assert session.scalar(select(func.count()).select_from(KeyWrap).where(
        KeyWrap.staff_id == osh3.id)) == 0
    assert _recovery_wraps(session, case.id) == 1
    # A follow-up after the restriction goes to the restricted readers only.
    from intake.services.triage import add_reply
    add_reply(session, session.get(Staff, osh2.id), case, "We are on it.")
    session.expire_all()
    assert _wrap_holders(session, case.id) == {"osh1", "osh2"}
    login_as(review_client, osh3)
    inbox = review_client.get("/").get_data(as_text=True)
    assert case.reference in inbox and "Restricted" in inbox
    assert "security service searched" not in inbox
    page = review_client.get(f"/cases/{case.reference}")
    assert page.status_code == 403
    body = page.get_data(as_text=True)
    for leak in (OSH_TEXT, "Surveillance", "Naryn", "We are on it", "Urgent", "New"):
        assert leak not in body
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.restrict")).one()
    assert "osh2" in event.detail and "osh3" not in event.detail


def test_granting_one_colleague_one_case_is_one_audited_action(
        org: Any, public_client: Any, session: Any, settings: Any) -> None:
    _submit(public_client, "osh", OSH_TEXT)
    _submit(public_client, "osh_city", NARYN_TEXT)
    first, second = session.scalars(select(Case).order_by(Case.id)).all()
    osh1, lawyer = org["people"]["osh1"], org["people"]["lawyer"]
    with pytest.raises(ntk.NeedToKnowError):  # no access: cannot grant
        ntk.grant_case(session, session.get(Staff, lawyer.id), _key(settings, session, lawyer),
                       first, osh1.id)
    session.rollback()
    ntk.grant_case(session, session.get(Staff, osh1.id), _key(settings, session, osh1), first,
                   lawyer.id)
    session.expire_all()
    assert "lawyer" in _wrap_holders(session, first.id)
    assert "lawyer" not in _wrap_holders(session, second.id)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.grant")).all()
    assert len(events) == 1 and events[0].target == first.reference


def test_leaving_a_team_deletes_its_wraps(org: Any, public_client: Any, session: Any) -> None:
    _submit(public_client, "osh", OSH_TEXT)
    case = _only_case(session)
    admin = session.get(Staff, org["people"]["admin"].id)
    removed = teams.remove_member(session, admin, org["teams"]["Osh office"],
                                  org["people"]["osh3"].id)
    assert removed == 1
    assert _wrap_holders(session, case.id) == {"osh1", "osh2"}


def test_restrict_page_posts_as_one_form(org: Any, public_client: Any, review_client: Any,
                                         login_as: Any, session: Any) -> None:
    _submit(public_client, "osh", OSH_TEXT)
    case = _only_case(session)
    login_as(review_client, org["people"]["osh1"])
    page = review_client.get(f"/cases/{case.reference}/access").get_data(as_text=True)
    posted = review_client.post(f"/cases/{case.reference}/restrict", data={
        "csrf_token": csrf_token(page), "readers": [org["people"]["osh2"].id]})
    assert posted.status_code == 303
    session.expire_all()
    assert _wrap_holders(session, case.id) == {"osh1", "osh2"}
    forged = review_client.post(f"/cases/{case.reference}/restrict", data={
        "csrf_token": csrf_token(page), "readers": ["not-a-staff-id"]})
    assert forged.status_code == 400
    assert _wrap_holders(session, case.id) == {"osh1", "osh2"}


def _case_rules(app: Any) -> list[tuple[str, str]]:
    """Every review route about one case or one of its items, found in the URL map, so a
    case endpoint added later is covered without editing this test."""
    found = []
    for rule in app.url_map.iter_rules():
        if "<reference>" in rule.rule or "<item_id>" in rule.rule:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((method, rule.rule))
    return found


def test_every_case_endpoint_refuses_staff_without_access(
        org: Any, public_client: Any, review_client: Any, login_as: Any, session: Any) -> None:
    _submit(public_client, "osh", OSH_TEXT)
    case = _only_case(session)
    attachment_or_report = session.scalars(select(Item.id).where(
        Item.case_id == case.id)).first()
    rules = _case_rules(review_client.application)
    assert ("POST", "/cases/<reference>/restrict") in rules and ("GET", "/files/<item_id>") in rules
    login_as(review_client, org["people"]["osh1"])
    token = csrf_token(review_client.get(f"/cases/{case.reference}").get_data(as_text=True))
    before_items = session.scalar(select(func.count()).select_from(Item))
    before_wraps = session.scalar(select(func.count()).select_from(KeyWrap))
    for who in ("outsider", "admin"):  # an admin outside the team is refused the same way
        login_as(review_client, org["people"][who])
        token = csrf_token(review_client.get("/account").get_data(as_text=True))
        for method, rule in rules:
            url = rule.replace("<reference>", case.reference).replace(
                "<item_id>", str(attachment_or_report))
            body = {"csrf_token": token, "text": "forged", "status": "in_review",
                    "priority": "urgent", "teams": list(org["teams"].values()),
                    "readers": [org["people"][who].id], "colleague": org["people"][who].id,
                    "act": "threats"}
            response = (review_client.get(url) if method == "GET"
                        else review_client.post(url, data=body))
            assert response.status_code in (403, 404), (who, method, rule,
                                                         response.status_code)
            text = response.get_data(as_text=True)
            assert OSH_TEXT not in text and "Surveillance" not in text, (method, rule)
    session.expire_all()
    fresh = session.get(Case, case.id)
    assert fresh.status == "new" and fresh.priority == "normal" and not fresh.restricted
    assert session.scalar(select(func.count()).select_from(Item)) == before_items
    assert session.scalar(select(func.count()).select_from(KeyWrap)) == before_wraps
    assert _wrap_holders(session, case.id) == {"osh1", "osh2", "osh3"}
    actions = set(session.scalars(select(AuditEvent.action).where(
        AuditEvent.target == case.reference)))
    assert actions <= {"case.view"}


def test_teams_admin_pages_refuse_forgery_and_non_admins(
        org: Any, review_client: Any, login_as: Any, session: Any) -> None:
    login_as(review_client, org["people"]["osh1"])
    assert review_client.get("/admin/teams").status_code == 403
    login_as(review_client, org["people"]["admin"])
    page = review_client.get("/admin/teams")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = csrf_token(html)
    assert "Osh office" in html and "osh3" in html
    legal = org["teams"]["Legal"]
    forged = review_client.post(f"/admin/teams/{legal}/members",
                                data={"csrf_token": token, "staff": "not-a-staff-id"})
    assert forged.status_code == 400
    twice = review_client.post("/admin/teams", data={"csrf_token": token, "name": "Legal"})
    assert twice.status_code == 409 and "already exists" in twice.get_data(as_text=True)
    no_csrf = review_client.post("/admin/teams/reading", data={"admins_read_all": "y"})
    assert no_csrf.status_code == 400 and routing.admins_read_all(session) is False
    on = review_client.post("/admin/teams/reading",
                            data={"csrf_token": token, "admins_read_all": "y"})
    assert on.status_code == 303
    session.expire_all()
    assert routing.admins_read_all(session) is True
    route = review_client.post("/admin/teams/routing",
                               data={"csrf_token": token, "region": "naryn", "team": legal})
    assert route.status_code == 303
    assert teams.rules(session)["naryn"] == legal
    bad_region = review_client.post("/admin/teams/routing",
                                    data={"csrf_token": token, "region": "mars", "team": legal})
    assert bad_region.status_code == 400 and "mars" not in teams.rules(session)
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"team.create", "team.member_add", "team.route",
            "settings.admins_read_all"} <= actions
