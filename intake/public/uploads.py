"""Wire the encrypting sinks into the public app's requests, and clean up what is not kept."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_app_context, request

from intake.attachments.sink import EncryptingSink, UploadBatch
from intake.web.app import NoSpoolRequest, settings_of

# Endpoints that accept files; every other endpoint discards file parts unread.
UPLOAD_ENDPOINTS = frozenset({"public.report_submit", "receipt.followup"})
MB = 1024 * 1024


def _accepts_files(req: NoSpoolRequest) -> bool:
    return req.url_rule is not None and req.url_rule.endpoint in UPLOAD_ENDPOINTS


class UploadRequest(NoSpoolRequest):
    """NoSpoolRequest whose upload endpoints encrypt each file part as it arrives."""

    @property
    def encrypting_stream_factory(self) -> Any:
        """The batch's sink factory on upload endpoints, None (discard) elsewhere."""
        if not has_app_context() or not _accepts_files(self):
            return None
        return _batch(self).new_sink

    @property
    def max_content_length(self) -> int | None:
        """Upload endpoints read up to one file past the request limit, so that a request a
        little over it still gets the form back with the typed text; beyond that, 413."""
        if has_app_context() and _accepts_files(self) and self.mimetype == "multipart/form-data":
            cfg = settings_of(current_app)
            return (cfg.max_request_mb + cfg.max_file_mb) * MB + MB
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def _batch(req: NoSpoolRequest) -> UploadBatch:
    """One batch per request, created on the first file part."""
    batch: UploadBatch | None = getattr(req, "_intake_uploads", None)
    if batch is None:
        cfg = settings_of(current_app)
        batch = UploadBatch(cfg.blob_dir, cfg.max_file_mb * MB)
        req._intake_uploads = batch  # type: ignore[attr-defined]
    return batch


def request_uploads() -> list[EncryptingSink]:
    """This request's non-empty uploaded files (parsing the form first if needed)."""
    _ = request.files
    batch: UploadBatch | None = getattr(request._get_current_object(), "_intake_uploads", None)  # type: ignore[attr-defined]
    return batch.files() if batch else []


def _discard_unkept(_exc: BaseException | None) -> None:
    """Whatever happened, blobs of files that are not in a committed item are deleted."""
    batch: UploadBatch | None = getattr(request, "_intake_uploads", None)
    if batch is not None:
        batch.discard_unkept()


def install(app: Flask) -> None:
    """Use the encrypting request class and the end-of-request clean-up."""
    app.request_class = UploadRequest
    app.teardown_request(_discard_unkept)
    cfg = settings_of(app)
    app.context_processor(lambda: {"max_file_mb": cfg.max_file_mb,
                                   "max_request_mb": cfg.max_request_mb})
