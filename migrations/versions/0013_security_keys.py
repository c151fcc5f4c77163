"""security keys: WebAuthn credentials per staff member

Revision ID: 0011_security_keys
Revises: 0011_urgent_awaiting_ack

One row per registered security key: credential id, the public credential data fido2
verifies assertions with, the signature counter (clone check), a name and dates.
"""

import sqlalchemy as sa
from alembic import op

from intake.models.base import UTCDateTime

revision = '0011_security_keys'
down_revision = '0011_urgent_awaiting_ack'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'security_keys',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('staff_id', sa.String(length=36), nullable=False),
        sa.Column('credential_id', sa.LargeBinary(length=1023), nullable=False),
        sa.Column('credential_data', sa.LargeBinary(), nullable=False),
        sa.Column('sign_count', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('credential_id'),
    )
    op.create_index('ix_security_keys_staff_id', 'security_keys', ['staff_id'])


def downgrade() -> None:
    op.drop_index('ix_security_keys_staff_id', table_name='security_keys')
    op.drop_table('security_keys')
