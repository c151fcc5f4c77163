"""Issue 16: each role lands on a page it may open (analysts on Statistics, not a 403), and
the refusal and not-found pages keep the staff navigation and a way back that works."""

from __future__ import annotations

import re

from tests.review.test_auth_login import _post_code, _post_login


def test_each_role_lands_on_its_first_page_after_signing_in(review_app, make_staff):
    for role, home in (("analyst", "/stats"), ("reviewer", "/"), ("admin", "/")):
        client = review_app.test_client()
        member = make_staff(role)
        assert _post_login(client, member.username, member.passphrase).status_code == 302
        landed = _post_code(client, "/login/2fa", member.totp_now())
        assert landed.status_code == 302 and landed.headers["Location"] == home, role
        assert client.get(home).status_code == 200, role


def test_refusal_and_not_found_keep_the_navigation_and_lead_home(review_client, make_staff,
                                                                 login_as):
    login_as(review_client, make_staff("analyst"))
    for path, code in (("/", 403), ("/no-such-page", 404)):
        page = review_client.get(path)
        assert page.status_code == code, path
        body = page.get_data(as_text=True)
        assert 'class="staffnav"' in body and ">Statistics</a>" in body, path
        back = re.search(r'<a href="([^"]+)">Back to the start</a>', body)
        assert back and back.group(1) == "/stats", path  # never back to the refusal
        assert ">Inbox</a>" not in body  # only what the role may open
