"""Downloading an original the way a reviewer must: the confirmation page, then the POST."""

from __future__ import annotations

from typing import Any

from tests.support.factories import csrf_token


def download_original(client: Any, item_id: str, variant: str | None = None) -> Any:
    """GET the confirmation step, then POST it confirmed; returns the final response.

    If the confirmation page itself is refused (404, 422), that response is returned."""
    query = f"?variant={variant}" if variant else ""
    page = client.get(f"/files/{item_id}{query}")
    if page.status_code != 200:
        return page
    return client.post(f"/files/{item_id}", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "variant": variant or "original", "offline": "y"})
