"""login failures per (account, client); no account lock

Revision ID: login_throttle_per_client
Revises: 0009_unordered_reporter_rows

A hard account lock let anyone who knew a username keep that person out. Failures now
carry the keyed client identifier (never an address) and slow only that client, so the
account-wide lock columns go. Stored failures have no client and are dropped: they only
ever delayed sign-ins.
"""

from alembic import op
import sqlalchemy as sa

import intake.models.base


revision = 'login_throttle_per_client'
down_revision = '0009_unordered_reporter_rows'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM login_failures"))
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client', sa.String(length=32), nullable=False))
        batch_op.create_index('ix_login_failures_staff_client', ['staff_id', 'client'],
                              unique=False)
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('lock_count')


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lock_count', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until',
                                      intake.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
    op.execute(sa.text("DELETE FROM login_failures"))
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_staff_client')
        batch_op.drop_column('client')
