"""items: a per-case sequence number, so the case thread shows its true order

Revision ID: 0010_item_thread_seq
Revises: login_throttle_per_client

Items keep only the hour they were written, so a note, a reply and a follow-up within one
hour could not be ordered. `seq` numbers the items of one case 1, 2, 3 … as they are
stored (intake/services/thread_order.py). It orders items only within their own case: a
new case starts at 1 again, so it places nothing between other cases or staff actions
elsewhere (docs/decisions.md, "Thread order"). Existing items are numbered here by their
hour, the report first, then their id, the best order the old rows still carry.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010_item_thread_seq'
down_revision = 'login_throttle_per_client'
branch_labels = None
depends_on = None

_KIND_FIRST = {'report': 0}


def upgrade() -> None:
    op.add_column('items', sa.Column('seq', sa.Integer(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        'SELECT id, case_id, kind, created_at FROM items')).all()
    rows.sort(key=lambda r: (r.case_id, _KIND_FIRST.get(r.kind, 1), str(r.created_at), r.id))
    numbered: list[dict[str, object]] = []
    last_case, n = None, 0
    for row in rows:
        n = n + 1 if row.case_id == last_case else 1
        last_case = row.case_id
        numbered.append({'seq': n, 'id': row.id})
    if numbered:
        bind.execute(sa.text('UPDATE items SET seq = :seq WHERE id = :id'), numbered)


def downgrade() -> None:
    # Never a batch rebuild: recreating items would cascade-delete its key wraps (0009).
    # SQLite 3.35+ and PostgreSQL both drop a column in place.
    op.execute('ALTER TABLE items DROP COLUMN seq')
