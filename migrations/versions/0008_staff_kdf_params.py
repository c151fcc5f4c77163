"""staff: Argon2id parameters of each wrapped private key

Revision ID: 0008
Revises: 0007

Rows wrapped before this revision keep NULL: their KEK used the same parameters as their
passphrase hash, which carries them (intake.services.kdf_params.kek_params), and the next
sign-in records them (or re-wraps under the current settings).
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kek_time_cost', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kek_memory_kib', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kek_parallelism', sa.Integer(), nullable=True))


def downgrade() -> None:
    # Older code derives every KEK with the staff_kdf_* settings: downgrade only while every
    # row's parameters equal them.
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('kek_parallelism')
        batch_op.drop_column('kek_memory_kib')
        batch_op.drop_column('kek_time_cost')
