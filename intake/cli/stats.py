"""`intake stats export`: the same protected tables as the app, written to a file or stdout."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from intake.cli.common import database, settings
from intake.services import audit
from intake.services import statistics as service
from intake.stats import recount
from intake.stats.filters import FilterError, parse_filters


def register(main: click.Group) -> None:
    """Attach the `stats` group."""

    @main.group("stats")
    def stats_group() -> None:
        """Anonymised statistics."""

    @stats_group.command("export")
    @click.option("--format", "fmt", type=click.Choice(sorted(service.EXPORT_TYPES)),
                  required=True)
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="File to write (default: standard output).")
    @click.option("--epsilon", type=click.FloatRange(min=0), default=None,
                  help="Differential-privacy epsilon (default: the stats_epsilon setting).")
    @click.option("--period", default="all",
                  help="all (default), a year (2026) or a quarter (2026-Q1) with data.")
    def export(fmt: str, out: Path | None, epsilon: float | None, period: str) -> None:
        """Export protected statistics (suppression always; noise when epsilon > 0)."""
        try:
            filters = parse_filters({"period": period})
        except FilterError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from exc
        cfg = settings()
        db = database(cfg)
        try:
            with db.transaction() as session:
                result = service.export(session, cfg, None, filters, fmt, epsilon)
        except FilterError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from exc
        finally:
            db.dispose()
        if out is None:
            sys.stdout.buffer.write(result.content)
        else:
            out.write_bytes(result.content)
            click.echo(f"wrote {out}", err=True)

    @stats_group.command("rebuild")
    def rebuild() -> None:
        """Recount stats_counts from the coded labels (GROUP BY); reports any drift found."""
        cfg = settings()
        db = database(cfg)
        try:
            with db.transaction() as session:
                result = recount.rebuild(session)
                audit.record(session, None, "stats.rebuild",
                             detail={"rows": result.rows, "differing": result.differing})
        finally:
            db.dispose()
        click.echo(f"rebuilt {result.rows} counts; {result.differing} differed from the "
                   "maintained ones")
