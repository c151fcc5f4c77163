"""The login KDF gate: logins take turns machine-wide, so they cannot starve the public form."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from intake.services import login as login_service
from intake.services.kdf_gate import LOCK_NAME, default_slots, kdf_slot


def _held_elsewhere(path: Path) -> bool:
    """True when another open descriptor (as another worker process would have) is locked."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_slot_is_held_while_inside_and_released_after(tmp_path: Path) -> None:
    path = tmp_path / LOCK_NAME.format(n=0)
    with kdf_slot(tmp_path, slots=1):
        assert _held_elsewhere(path)
    assert not _held_elsewhere(path)


def test_second_login_waits_for_the_first_with_one_slot(tmp_path: Path) -> None:
    entered_second = threading.Event()
    order: list[str] = []

    def second() -> None:
        with kdf_slot(tmp_path, slots=1):
            order.append("second")
            entered_second.set()

    with kdf_slot(tmp_path, slots=1):
        order.append("first")
        thread = threading.Thread(target=second)
        thread.start()
        overlapped = entered_second.wait(timeout=0.5)
        order.append("first done")
    thread.join(timeout=10)
    assert not overlapped
    assert order == ["first", "first done", "second"]


def test_two_slots_admit_two_logins_at_once(tmp_path: Path) -> None:
    both_inside = threading.Barrier(2, timeout=10)
    failures: list[BaseException] = []

    def login() -> None:
        try:
            with kdf_slot(tmp_path, slots=2):
                both_inside.wait()
        except threading.BrokenBarrierError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=login) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert failures == []


def test_default_leaves_cores_for_reporters() -> None:
    cores = len(os.sched_getaffinity(0))
    assert 1 <= default_slots() <= max(1, cores // 2)


@pytest.mark.parametrize("passphrase, ok", [("correct horse battery staple", True),
                                            ("wrong passphrase entirely", False)])
def test_login_goes_through_the_gate(make_staff: Any, session: Any, settings: Any,
                                     monkeypatch: pytest.MonkeyPatch,
                                     passphrase: str, ok: bool) -> None:
    handle = make_staff("reviewer")
    used: list[Path] = []
    real = login_service.kdf_slot

    def spy(lock_dir: Path, slots: int | None = None) -> Any:
        used.append(lock_dir)
        return real(lock_dir, slots)

    monkeypatch.setattr(login_service, "kdf_slot", spy)
    result = login_service.check_passphrase(session, settings, handle.username, passphrase,
                                            client="test-client")
    assert result.ok is ok
    assert used == [settings.data_dir]
    assert (result.half is not None) is ok


def test_unknown_user_also_takes_a_turn(session: Any, settings: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[Path] = []
    real = login_service.kdf_slot
    monkeypatch.setattr(login_service, "kdf_slot",
                        lambda d, s=None: (used.append(d), real(d, s))[1])
    assert not login_service.check_passphrase(session, settings, "nobody", "x" * 20,
                                              client="test-client").ok
    assert used == [settings.data_dir]
