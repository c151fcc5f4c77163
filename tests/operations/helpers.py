"""Arrange cases with items, labels and an attachment blob for the operations tests."""

from __future__ import annotations

import io
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.crypto import derive_receipt_keys, encrypt_file, stream_associated_data
from intake.db import Database
from intake.models import Case, CaseLabel, Item, hour_floor, new_id
from intake.payloads import ReportAnswers
from intake.services import site
from intake.services.keyring import current_recipients, seal_item
from intake.services.reading import open_item
from intake.services.reports import receipt_params, submit_report
from intake.settings import Settings


def case_for_code(session: Session, settings: Settings, code: str) -> Case:
    """The receipt derivation gives the look-up id, which finds the case."""
    keys = derive_receipt_keys(code, site.receipt_salt(session), receipt_params(settings))
    case = session.scalars(select(Case).where(Case.lookup_id == keys.lookup_id)).one()
    return case


def report_of(session: Session, case: Case, private_raw: bytes, *,
              staff_id: str | None = None, recovery_key_id: str | None = None) -> ReportAnswers:
    """Decrypt a case's report for one reader."""
    item = session.scalars(select(Item).where(Item.case_id == case.id,
                                              Item.kind == "report")).one()
    return ReportAnswers.decode(open_item(session, item, private_raw, staff_id=staff_id,
                                              recovery_key_id=recovery_key_id))


def make_case(database: Database, settings: Settings, what: str,
              closed_at: datetime | None = None, blob: bytes | None = None) -> tuple[str, str]:
    """Submit a report through the service; optionally close it and attach a blob.

    Returns (receipt code, case id).
    """
    with database.transaction() as s:
        code = submit_report(s, settings, ReportAnswers(what=what)).code
    with database.transaction() as s:
        case_row = case_for_code(s, settings, code)
        if closed_at is not None:
            case_row.status = "closed"
            case_row.closed_at = closed_at
        s.add(CaseLabel(case_id=case_row.id, vocabulary="act_type", code="threats"))
        if blob is not None:
            item = Item(id=new_id(), case_id=case_row.id, kind="attachment",
                        created_at=hour_floor(), blob_name=new_id().replace("-", ""))
            meta = json.dumps({"v": 1, "filename": "p.jpg", "mime": "image/jpeg",
                               "size": len(blob), "sha256": "", "cleaned": True}).encode()
            key = seal_item(s, item, meta, current_recipients(s))
            settings.blob_dir.mkdir(parents=True, exist_ok=True)
            with (settings.blob_dir / str(item.blob_name)).open("wb") as fh:
                item.blob_size = encrypt_file(
                    key, stream_associated_data(item.id, item.kind), io.BytesIO(blob), fh)
        case_id = case_row.id
    return code, case_id


def untouched(settings: Settings, database: Database) -> bool:
    """Nothing written to an instance: no file in its data dir, no table in its database.

    A SQLite database is a file in the data dir, so it is not opened here (that would
    create it); a PostgreSQL schema is inspected for tables.
    """
    from sqlalchemy import inspect

    files = list(settings.data_dir.rglob("*")) if settings.data_dir.exists() else []
    if files or database.engine.dialect.name == "sqlite":
        return not files
    with database.engine.connect() as conn:
        return not inspect(conn).get_table_names()
