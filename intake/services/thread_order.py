"""Numbers every new item 1, 2, 3 … within its case as it is stored: times are kept only
to the hour, so this sequence is the case thread's only true order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import Item


def assign_thread_seq(session: Session, _context: Any, _instances: Any) -> None:
    """before_flush: give each new item without a number the next one of its case."""
    fresh = [obj for obj in session.new if isinstance(obj, Item) and obj.seq is None]
    if not fresh:
        return
    following: dict[str, int] = {}
    for item in fresh:
        if item.case_id not in following:
            with session.no_autoflush:
                top = session.scalar(select(func.max(Item.seq))
                                     .where(Item.case_id == item.case_id))
            following[item.case_id] = (top or 0) + 1
        item.seq = following[item.case_id]
        following[item.case_id] += 1
