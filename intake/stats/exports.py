"""CSV and JSON renderings of a protected payload; each file carries its own metadata."""

from __future__ import annotations

import csv
import io
import json

from intake.stats.labels import TOTAL, code_label, title
from intake.stats.payload import StatsPayload


def to_json(payload: StatsPayload) -> bytes:
    """The payload as it is: metadata, then protected tables."""
    return json.dumps({k: v for k, v in payload.items() if k != "numbers"},
                      ensure_ascii=False, indent=1).encode()


def to_csv(payload: StatsPayload) -> bytes:
    """Metadata rows first, then each table as a block with its totals."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["note", payload["note"]])
    w.writerow(["hidden", payload["hidden_note"]])
    w.writerow(["generated_at", payload["generated_at"]])
    for name, value in payload["filters"].items():
        w.writerow([f"filter_{name}", value or ""])
    w.writerow(["threshold", payload["threshold"]])
    w.writerow(["epsilon", payload["epsilon"]])
    for table in payload["tables"]:
        w.writerow([])
        w.writerow(["table", table["id"], title(table["id"])])
        row_totals, column_totals = table["row_totals"], table["column_totals"]
        two_way = row_totals is not None and column_totals is not None
        w.writerow([table["row_vocabulary"], "label", *table["columns"],
                    *(["total"] if two_way else [])])
        for i, code in enumerate(table["rows"]):
            extra = [row_totals[i]] if row_totals is not None else []
            w.writerow([code, code_label(table["row_vocabulary"], code),
                        *table["cells"][i], *extra])
        if column_totals is not None:
            w.writerow(["total", str(TOTAL), *column_totals, table["total"]])
        else:
            w.writerow(["total", str(TOTAL), table["total"]])
    return out.getvalue().encode()
