"""external recipients: the hand-over directory (OpenPGP certificates, Intake public keys)

Revision ID: 0016_external_recipients
Revises: 0015_staff_zone_follows_site

Public material only: a recipient's key, its fingerprint (unique), who added it and who
verified the fingerprint out of band. A hand-over needs a verified recipient.
"""

import sqlalchemy as sa
from alembic import op

from intake.models.base import UTCDateTime

revision = '0016_external_recipients'
down_revision = '0015_staff_zone_follows_site'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'external_recipients',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('organisation', sa.String(length=120), nullable=False),
        sa.Column('key_kind', sa.String(length=16), nullable=False),
        sa.Column('public_key', sa.LargeBinary(), nullable=False),
        sa.Column('fingerprint', sa.String(length=80), nullable=False),
        sa.Column('added_by_id', sa.String(length=36), nullable=True),
        sa.Column('added_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('verified_by_id', sa.String(length=36), nullable=True),
        sa.Column('verified_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['added_by_id'], ['staff.id'], ondelete='SET NULL',
                                name='fk_external_recipients_added_by_id_staff'),
        sa.ForeignKeyConstraint(['verified_by_id'], ['staff.id'], ondelete='SET NULL',
                                name='fk_external_recipients_verified_by_id_staff'),
        sa.PrimaryKeyConstraint('id', name='pk_external_recipients'),
        sa.UniqueConstraint('fingerprint', name='uq_external_recipients_fingerprint'),
    )


def downgrade() -> None:
    op.drop_table('external_recipients')
