"""Reports sent as a browser would (real CSRF tokens), counted runs, and verification that
every receipt shown maps to a stored case that decrypts to what was sent."""

from __future__ import annotations

import html
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from sqlalchemy import select

from intake.crypto import derive_receipt_keys
from intake.db import Database
from intake.models import Case, Item
from intake.payloads import ReportAnswers
from intake.services import site
from intake.services.reading import open_item
from intake.services.reports import receipt_params
from intake.settings import Settings

from .instances import Reader

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RECEIPT_RE = re.compile(r'class="receipt"[^>]*><strong>([0-9 ]+)</strong>')


@dataclass
class Outcome:
    """One attempted submission as the reporter saw it."""

    status: int
    code: str | None = None
    kept_text: bool = False
    error: str = ""


def report_text(index: int) -> str:
    """Unique, non-ASCII report text, so a mix-up between reports would show."""
    return f"Reliability report {index} {secrets.token_hex(6)}: Бишкек, Ош — ѳ ү ң."


def submit(http: requests.Session, base: str, what: str, timeout: float = 60) -> Outcome:
    """GET the form for a real CSRF token, POST a report; classify what came back."""
    page = http.get(base + "/", timeout=timeout)
    match = CSRF_RE.search(page.text)
    if match is None:
        return Outcome(page.status_code, error=f"no form (HTTP {page.status_code})")
    data = {"what": what, "when_month": "3", "when_year": "2026", "region": "naryn",
            "place": "Naryn", "acts": ["surveillance"], "perpetrators": ["unknown"],
            "consent_stats": "yes", "csrf_token": match.group(1)}
    resp = http.post(base + "/", data=data, timeout=timeout)
    found = RECEIPT_RE.search(resp.text)
    kept = html.escape(what, quote=False) in resp.text or html.escape(what) in resp.text
    if resp.status_code == 200 and found:
        return Outcome(200, code=found.group(1))
    return Outcome(resp.status_code, kept_text=kept,
                   error="" if resp.status_code == 503 else f"HTTP {resp.status_code}")


@dataclass
class ReportRun:
    """Receipts shown (code -> text) and everything that was not a receipt."""

    receipts: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unavailable: int = 0
    retried: int = 0
    seconds: float = 0.0


def run_reports(base: str | Callable[[], str], total: int, clients: int,
             retry_connection_errors: bool = False,
             result: ReportRun | None = None) -> ReportRun:
    """`total` reports from `clients` threads, each with its own cookie jar.

    Pass `result` to watch receipts arrive while the run goes on (the crash run does).
    """
    result = result if result is not None else ReportRun()
    lock = threading.Lock()
    local = threading.local()

    def _one(index: int) -> None:
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = requests.Session()
        what = report_text(index)
        while True:
            url = base() if callable(base) else base
            try:
                outcome = submit(http, url, what)
            except requests.RequestException as exc:
                if retry_connection_errors:
                    with lock:
                        result.retried += 1
                    time.sleep(0.2)
                    continue
                outcome = Outcome(0, error=type(exc).__name__)
            if outcome.status == 503 and retry_connection_errors:
                with lock:
                    result.retried += 1
                time.sleep(0.2)
                continue
            break
        with lock:
            if outcome.code:
                result.receipts[outcome.code] = what
            elif outcome.status == 503:
                result.unavailable += 1
            else:
                result.errors.append(outcome.error)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(_one, range(total)))
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class Verification:
    """Receipts checked against the database."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    cases_stored: int = 0

    @property
    def ok(self) -> bool:
        """Every receipt found its case and the case decrypted to what was sent."""
        return not self.missing and not self.wrong


def verify(settings: Settings, reader: Reader, receipts: dict[str, str],
           threads: int = 2) -> Verification:
    """Receipt -> Argon2id look-up id -> case -> report decrypted with the staff key."""
    db = Database(settings)
    out = Verification()
    lock = threading.Lock()
    with db.transaction() as s:
        salt = site.receipt_salt(s)
        out.cases_stored = len(list(s.scalars(select(Case.id))))
    params = receipt_params(settings)

    def _check(item: tuple[str, str]) -> None:
        code, what = item
        lookup = derive_receipt_keys(code, salt, params).lookup_id
        with db.transaction() as s:
            case = s.scalars(select(Case).where(Case.lookup_id == lookup)).first()
            if case is None:
                with lock:
                    out.missing.append(code)
                return
            report = s.scalars(select(Item).where(Item.case_id == case.id,
                                                  Item.kind == "report")).one()
            plain = open_item(s, report, reader.private_key, staff_id=reader.staff_id)
            ok = ReportAnswers.decode(plain).what == what
        with lock:
            out.checked += 1
            if not ok:
                out.wrong.append(code)

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(_check, receipts.items()))
    finally:
        db.dispose()
    return out

