"""Registries name endpoints by string: a rename must stop the app from starting, because
the renamed view would otherwise silently lose its rate limit, upload sink or access rule."""

from __future__ import annotations

from typing import Any

import pytest

from intake.public import chrome, uploads
from intake.public import create_app as public_app_factory
from intake.review import access, nav
from intake.review import create_app as review_app_factory
from intake.settings import Settings
from intake.web import ratelimit
from intake.web.registry import UnknownEndpoint


def test_renamed_rate_limited_endpoint_fails_start_up(
        settings: Settings, database: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    renamed = {**ratelimit.LIMITED,
               "intake.public": {"public.submit_renamed": ("rate_limit_submit", "submit",
                                                           ("POST",))}}
    monkeypatch.setattr(ratelimit, "LIMITED", renamed)
    with pytest.raises(UnknownEndpoint, match="public.submit_renamed"):
        public_app_factory(settings, database)


def test_renamed_upload_endpoint_fails_start_up(
        settings: Settings, database: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "UPLOAD_ENDPOINTS", frozenset({"receipt.followup_renamed"}))
    with pytest.raises(UnknownEndpoint, match="uploads"):
        public_app_factory(settings, database)


def test_renamed_footer_link_fails_start_up(
        settings: Settings, database: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chrome, "FOOTER", [*chrome.FOOTER, ("safety.gone", "x")])
    with pytest.raises(UnknownEndpoint, match="safety.gone"):
        public_app_factory(settings, database)


def test_renamed_open_endpoint_fails_start_up(
        settings: Settings, database: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "OPEN_ENDPOINTS", {*access.OPEN_ENDPOINTS, "review.gone"})
    with pytest.raises(UnknownEndpoint, match="review.gone"):
        review_app_factory(settings, database)


def test_renamed_navigation_entry_fails_start_up(
        settings: Settings, database: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nav, "NAV", [*nav.NAV, ("stats.gone", "x")])
    with pytest.raises(UnknownEndpoint, match="stats.gone"):
        review_app_factory(settings, database)


def test_registries_as_shipped_start(settings: Settings, database: Any) -> None:
    assert public_app_factory(settings, database).name == "intake.public"
    assert review_app_factory(settings, database).name == "intake.review"
