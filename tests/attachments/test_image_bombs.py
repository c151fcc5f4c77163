"""Finding 10, from the attacker's side: tiny files that decode to huge images, several per
request, many requests at once. Refused from the header, within a pixel budget, one
cleaning at a time per process; memory measured in a separate process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from intake.attachments import budget as budget_module
from intake.attachments.budget import PixelBudget
from intake.attachments.clean import UnreadableFile, clean
from intake.public import create_app
from tests.attachments.bombs import (
    SHIPPED_PER_IMAGE,
    SHIPPED_PER_REQUEST,
    header_bombs,
    webp_bomb,
)
from tests.attachments.samples import jpeg_with_gps, send_report

ROOT = Path(__file__).resolve().parents[2]
# The most one cleaning may add to a process with the shipped limits (docs/performance.md).
CLEANING_CEILING_MIB = 512


def _shipped() -> PixelBudget:
    return PixelBudget(SHIPPED_PER_IMAGE, SHIPPED_PER_REQUEST)


@pytest.mark.parametrize("name", sorted(header_bombs()))
def test_dimensions_are_checked_before_decoding(name: str) -> None:
    mime, data = header_bombs()[name]
    start = time.perf_counter()
    with pytest.raises(UnreadableFile) as refused:
        clean(mime, data, _shipped())
    assert refused.value.reason == "bomb"  # decoding first would have said "damaged"
    assert time.perf_counter() - start < 0.5


def test_review_sample_refused_and_budget_spent_per_request() -> None:
    data = webp_bomb()
    assert len(data) < 4096
    with pytest.raises(UnreadableFile) as refused:
        clean("image/webp", data, _shipped())
    assert refused.value.reason == "bomb"
    request = PixelBudget(per_image=4_000_000, remaining=10_000_000)
    photo = jpeg_with_gps((2000, 2000))
    clean("image/jpeg", photo, request)
    clean("image/jpeg", photo, request)
    with pytest.raises(UnreadableFile) as spent:
        clean("image/jpeg", photo, request)
    assert spent.value.reason == "budget"


def _probe(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "tests.attachments.bombs", *args],  # noqa: S603
                          cwd=ROOT, check=True, capture_output=True, text=True, timeout=300)
    return dict(json.loads(done.stdout))


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    directory = tmp_path_factory.mktemp("bombs")
    return directory, _probe("generate", str(directory))


def test_memory_of_hostile_and_largest_samples(samples: tuple[Path, dict[str, str]]) -> None:
    directory, mimes = samples
    results = {name: _probe("measure", mime, str(directory / name))
               for name, mime in mimes.items()}
    print(json.dumps(results, indent=1))  # the figures in docs/performance.md
    bomb = results["webp-bomb.webp"]
    assert bomb["result"] == "bomb" and bomb["growth_mib"] < 16 and bomb["seconds"] < 1
    for name in ("largest.jpg", "largest-noise.webp"):
        assert results[name]["result"] == "cleaned"
        assert results[name]["growth_mib"] < CLEANING_CEILING_MIB, name


def test_several_bombs_in_one_request_keep_the_text(public_client: Any, settings: Any,
                                                    reviewer: Any) -> None:
    bomb = webp_bomb()
    response = send_report(public_client, [("a.webp", bomb), ("b.webp", bomb),
                                           ("c.webp", bomb)], what="Three photos of the car.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "too large to process safely" in html and "Three photos of the car." in html
    assert list(settings.blob_dir.iterdir()) == []


def test_request_over_its_pixel_budget_keeps_the_text(settings: Any, database: Any,
                                                      reviewer: Any) -> None:
    app = create_app(settings.replace(max_image_pixels=4_000_000,
                                      max_request_pixels=10_000_000), database)
    photo = jpeg_with_gps((2000, 2000))
    response = send_report(app.test_client(), [("1.jpg", photo), ("2.jpg", photo),
                                                ("3.jpg", photo)], what="Summons, 3 pages.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "together have too many pixels" in html and "Summons, 3 pages." in html
    assert list(settings.blob_dir.iterdir()) == []


def test_cleanings_wait_for_a_slot_and_busy_keeps_the_text(
        public_client: Any, settings: Any, reviewer: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    slots = budget_module._semaphore(settings.cleaning_slots)
    monkeypatch.setattr(budget_module, "SLOT_WAIT_SECONDS", 0.2)
    assert slots.acquire(timeout=1)  # another request is cleaning
    try:
        response = send_report(public_client, [("p.jpg", jpeg_with_gps())],
                               what="Men in the stairwell.")
    finally:
        slots.release()
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "processing many files right now" in html and "Men in the stairwell." in html
    assert list(settings.blob_dir.iterdir()) == []
    assert send_report(public_client, [("p.jpg", jpeg_with_gps())]).status_code == 200


def test_slots_bound_concurrent_cleanings() -> None:
    inside, peak = [0], [0]
    lock = threading.Lock()

    def work() -> None:
        with budget_module.cleaning_slot(2):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2
