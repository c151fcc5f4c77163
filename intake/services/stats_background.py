"""Protecting a new data state outside the staff request that first asks for it.

The interval audit of a new state can take minutes on thinly spread counts (10,000 cases:
over two minutes), longer than the web server lets a request live. So a request that finds
today's state unprotected starts its protection in a background thread, waits a little,
and then shows either the new result or the newest stored one, saying that newer numbers
are being prepared. Nothing here publishes anything a stored, audited generation did not.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from sqlalchemy.orm import Session

from intake.db import Database
from intake.models import Staff
from intake.services.stats_generations import Current, current, latest, state, stored
from intake.settings import Settings

# How long a staff request waits for a protection before it shows the last stored result
# (well below the server's 120-second worker timeout).
WAIT_SECONDS = 15.0
log = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """Nothing is stored yet and the first protection is still being made."""


class Maker:
    """At most one protection at a time in this process, in its own session."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database, self.settings = database, settings
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, staff_id: str | None, purpose: str, epsilon: float | None) -> threading.Thread:
        """The running protection, or a new one for today's state."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, args=(staff_id, purpose, epsilon),
                    name="intake-stats-protection", daemon=True)
                self._thread.start()
            return self._thread

    def _run(self, staff_id: str | None, purpose: str, epsilon: float | None) -> None:
        try:
            with self.database.transaction() as session:
                staff = session.get(Staff, staff_id) if staff_id else None
                current(session, self.settings, staff, purpose, epsilon)
        except Exception as exc:  # noqa: BLE001 - a thread has no caller to raise to
            # The next request starts it again; the class name says what, never any data.
            log.error("statistics could not be protected (%s)", type(exc).__name__)


def served(session: Session, settings: Settings, staff: Staff | None, purpose: str,
           maker: Maker, epsilon: float | None = None) -> Current:
    """Today's generation if it is stored or made within WAIT_SECONDS; else the newest
    stored one marked `newer_pending`; NotReady if none was ever stored. Commits the
    caller's transaction before it waits."""
    today = state(session, settings, epsilon)
    found = stored(session, today)
    if found is not None:
        return found
    # End this request's transaction first: the protection writes in its own session, which
    # a write lock held here would block, and a fresh transaction afterwards sees its result.
    session.commit()
    maker.start(staff.id if staff else None, purpose, epsilon).join(WAIT_SECONDS)
    found = stored(session, today)
    if found is not None:
        return found
    newest = latest(session)
    if newest is None:
        raise NotReady()
    return replace(newest, newer_pending=True)
