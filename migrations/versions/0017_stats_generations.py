"""statistics: protected generations (stats_generations), computed once per data state

Revision ID: 0017_stats_generations
Revises: 0016_external_recipients

Holds only protected results (published numbers and the hidden symbol); nothing to fill:
the first statistics view after the upgrade makes the first generation.
"""

import sqlalchemy as sa
from alembic import op

revision = '0017_stats_generations'
down_revision = '0016_external_recipients'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stats_generations',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('epsilon', sa.Float(), nullable=False),
        sa.Column('audited_with', sa.String(length=16), nullable=False),
        sa.Column('result', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_generations')),
        sa.UniqueConstraint('fingerprint', name=op.f('uq_stats_generations_fingerprint')),
    )


def downgrade() -> None:
    op.drop_table('stats_generations')
