"""inbox: composite indexes matching each inbox order

Revision ID: 0006
Revises: 0005
"""

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each inbox segment walks one of these in order from its keyset cursor
    # (intake/services/inbox_order.py); the single-column indexes they start with go.
    op.create_index('ix_cases_priority_received', 'cases', ['priority', 'received_at', 'id'],
                    unique=False)
    op.create_index('ix_cases_received', 'cases', ['received_at', 'id'], unique=False)
    op.create_index('ix_cases_priority_due', 'cases',
                    ['priority', 'ack_due', 'response_due', 'id'], unique=False)
    op.create_index('ix_cases_due', 'cases', ['ack_due', 'response_due', 'id'], unique=False)
    # With ix_cases_due, lets "ack_due IS NULL OR response_due IS NULL" (the undated
    # segment of the due-date sort) be two index look-ups instead of a scan.
    op.create_index('ix_cases_response_due', 'cases', ['response_due'], unique=False)
    op.drop_index('ix_cases_priority', table_name='cases')
    op.drop_index('ix_cases_received_at', table_name='cases')


def downgrade() -> None:
    op.create_index('ix_cases_received_at', 'cases', ['received_at'], unique=False)
    op.create_index('ix_cases_priority', 'cases', ['priority'], unique=False)
    op.drop_index('ix_cases_response_due', table_name='cases')
    op.drop_index('ix_cases_due', table_name='cases')
    op.drop_index('ix_cases_priority_due', table_name='cases')
    op.drop_index('ix_cases_received', table_name='cases')
    op.drop_index('ix_cases_priority_received', table_name='cases')
