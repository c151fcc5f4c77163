"""cases: awaiting_ack, a danger-now report nobody on call has acknowledged yet

Revision ID: 0011_urgent_awaiting_ack
Revises: 0010_item_thread_seq

A flag, not a time: the alert and the acknowledgement are timed by the audit log and the
notifier's own "escalate after" value, so the case row stores no new moment. Existing
cases start acknowledged (they were triaged under the old rules).
"""

import sqlalchemy as sa
from alembic import op

revision = '0011_urgent_awaiting_ack'
down_revision = '0010_item_thread_seq'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('cases', sa.Column('awaiting_ack', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade() -> None:
    # In place on SQLite 3.35+ and PostgreSQL; a batch rebuild would cascade into items.
    op.execute('ALTER TABLE cases DROP COLUMN awaiting_ack')
