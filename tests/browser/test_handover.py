"""The hand-over pages in a real browser: a reviewer adds a partner's OpenPGP certificate
with the form, an admin compares the fingerprint and verifies it, the reviewer ticks the
reply and the photo (not the note) and downloads the bundle, which Sequoia opens to exactly
those items. axe finds nothing on either page, at any step, in any language."""

from __future__ import annotations

import io
import tarfile
from typing import Any

import pysequoia

from tests.browser.support import LANGS, axe_violations, screenshot, with_lang

NOTE = "Internal note: call back on Monday."  # live_case's note: never pre-ticked
REPLY = "Thank you. We have read your report."


def _members(bundle: bytes, tsk: Any) -> dict[str, bytes]:
    plain = pysequoia.decrypt(bundle, tsk.decryptor()).bytes
    assert plain is not None
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
        return {m.name: (tar.extractfile(m) or io.BytesIO()).read() for m in tar}


def test_add_verify_and_hand_over_to_an_openpgp_partner(live_review: Any, new_page: Any,
                                                       signed_in: Any, admin: Any,
                                                       reviewer: Any, live_case: str) -> None:
    found: list[Any] = []
    base = live_review.url
    tsk = pysequoia.Tsk.generate("Aida Lawyer <aida@example.org>")
    me = new_page(bypass_csp=True)
    signed_in(me, reviewer)
    me.goto(base + "/recipients?lang=en")
    found += axe_violations(me)
    me.fill("#name", "Aida Lawyer")
    me.fill("#organisation", "Bishkek Legal Clinic")
    me.fill("#key", str(tsk.extract_certificate()))
    with me.expect_navigation():
        me.locator("form[action$='/recipients'] button").click()
    assert "Recipient added" in (me.text_content("main") or "")
    assert "Not verified" in (me.text_content("table.recipients") or "")
    found += axe_violations(me)
    # The hand-over page refuses to offer an unverified recipient.
    me.goto(base + f"/cases/{live_case}/handover?lang=en")
    assert me.locator("input[name=recipient]").count() == 0
    found += axe_violations(me)
    # The admin compares the fingerprint (shown grouped, as gpg prints it) and verifies.
    colleague = new_page(bypass_csp=True)
    signed_in(colleague, admin)
    colleague.goto(base + "/recipients?lang=en")
    shown = (colleague.text_content("code.fingerprint") or "").replace(" ", "")
    assert shown == tsk.extract_certificate().fingerprint.upper()
    colleague.check("input[name=compared]")
    with colleague.expect_navigation():
        colleague.locator("form[action$='/verify'] button").click()
    assert "Recipient verified" in (colleague.text_content("main") or "")
    for lang in LANGS:
        colleague.goto(base + with_lang("/recipients", lang))
        found += axe_violations(colleague)
    colleague.goto(base + "/recipients?lang=en")
    screenshot(colleague, "review-recipients")
    # The reviewer hands over the report, the reply and the photo; the note stays unticked.
    for lang in LANGS:
        me.goto(base + with_lang(f"/cases/{live_case}/handover", lang))
        found += axe_violations(me)
    me.goto(base + f"/cases/{live_case}/handover?lang=en")
    assert me.is_checked("input[name=report]")
    assert not me.is_checked("input[name=notes]")
    me.check("input[name=recipient]")
    me.locator("input[name=messages]").first.check()
    me.check("input[name=originals]")
    screenshot(me, "review-handover")
    with me.expect_download() as download:
        me.locator("form[action$='/handover'] button").click()
    path = download.value.path()
    assert download.value.suggested_filename == f"{live_case}-handover.tar.pgp"
    with open(path, "rb") as fh:
        members = _members(fh.read(), tsk)
    root = f"{live_case}-handover"
    assert set(members) == {f"{root}/report.txt", f"{root}/report.json",
                            f"{root}/thread/01-reply.txt", f"{root}/files/{live_case}-1.jpg",
                            f"{root}/manifest.json"}
    assert members[f"{root}/thread/01-reply.txt"].decode().strip() == REPLY
    assert NOTE.encode() not in b"".join(members.values())
    # Nothing chosen: a translated error on the same page, axe-clean, nothing downloaded.
    for lang in LANGS:
        me.goto(base + with_lang(f"/cases/{live_case}/handover", lang))
        me.uncheck("input[name=report]")
        me.check("input[name=recipient]")
        with me.expect_navigation():
            me.locator("form[action$='/handover'] button").click()
        assert me.locator("#error-summary").count() == 1
        found += axe_violations(me)
    assert found == []
