"""statistics: covering index for counted cases

Revision ID: 0005
Revises: 0001
"""

from alembic import op


revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Lets the statistics queries start from counted cases and read the index only.
    op.create_index('ix_cases_stats', 'cases', ['status', 'consent_stats', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cases_stats', table_name='cases')
