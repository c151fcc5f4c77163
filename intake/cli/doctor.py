"""`intake doctor`: what this installation can do safely, checked for real (issue 18)."""

from __future__ import annotations

import io
import shutil
import subprocess

import click
import pikepdf

from intake.cli.common import settings
from intake.convert.availability import check
from intake.convert.sandbox import ConversionRefused, Limits, convert


def _tesseract_languages() -> list[str]:
    """Languages Tesseract has installed (the text layer would use eng, rus, kir, uzb)."""
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True,  # noqa: S607
                             text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.splitlines()[1:] if line.strip()]


def _sample_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def register(main: click.Group) -> None:
    """Attach the `doctor` command."""

    @main.command("doctor")
    def doctor() -> None:
        """Check the sandbox and converters for safe copies; exit 1 if none can be made."""
        found = check()
        rows = [
            ("bubblewrap (sandbox starts here)", found.bwrap, "apt-get install bubblewrap; "
             "user namespaces must be allowed"),
            ("prlimit (resource limits)", found.prlimit, "apt-get install util-linux"),
            ("pypdfium2 (PDF renderer)", found.pdfium, "pip install -c constraints.txt ."),
            ("LibreOffice (Office/ODF/RTF documents)", found.libreoffice,
             "apt-get install libreoffice-writer-nogui libreoffice-calc-nogui "
             "libreoffice-impress-nogui"),
            ("Tesseract (optional text layer)", found.tesseract,
             "optional: apt-get install tesseract-ocr"),
        ]
        for label, ok, hint in rows:
            state = "ok     " if ok else ("absent " if hint.startswith("optional") else "MISSING")
            click.echo(f"{state}  {label}" + ("" if ok else f"  ({hint})"))
        if found.tesseract:
            click.echo(f"         Tesseract languages: {', '.join(_tesseract_languages())}")
        if not found.usable:
            click.echo("Safe copies: UNAVAILABLE. The review app says so on every file; "
                       "nothing is ever converted outside the sandbox.")
            raise SystemExit(1)
        cfg = settings()
        limits = Limits(max_pages=cfg.convert_max_pages, seconds=cfg.convert_seconds,
                        memory_mb=cfg.convert_memory_mb, dpi=cfg.convert_dpi)
        try:
            pages = convert(_sample_pdf(), limits)
        except ConversionRefused as refusal:
            click.echo(f"Safe copies: a test conversion in the sandbox FAILED ({refusal.code}).")
            raise SystemExit(1) from None
        office = "with" if found.libreoffice and shutil.which("soffice") else "without"
        click.echo(f"Safe copies: available ({office} Office documents); a test page was "
                   f"rendered in the sandbox ({pages[0].width}x{pages[0].height} px). Limits: "
                   f"{limits.max_pages} pages, {limits.seconds} s, {limits.memory_mb} MB.")
