"""statistics: maintained counts (stats_counts), filled from the labels already there

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The same GROUP BYs as intake.stats.recount.from_scratch, frozen here so this revision
# keeps meaning what it meant when the code changes.
_CUBE = (
    "INSERT INTO stats_counts (kind, code, region, period, n) "
    "SELECT 'cube', a.code, r.code, p.code, COUNT(*) FROM cases c "
    "JOIN case_labels a ON a.case_id = c.id AND a.vocabulary = 'act_type' "
    "JOIN case_labels r ON r.case_id = c.id AND r.vocabulary = 'region' "
    "JOIN case_labels p ON p.case_id = c.id AND p.vocabulary = 'period' "
    "WHERE c.status IN ('verified', 'escalated', 'closed') AND c.consent_stats = :yes "
    "GROUP BY a.code, r.code, p.code"
)
_ONE_WAY = (
    "INSERT INTO stats_counts (kind, code, region, period, n) "
    "SELECT :vocabulary, l.code, '', p.code, COUNT(*) FROM cases c "
    "JOIN case_labels l ON l.case_id = c.id AND l.vocabulary = :vocabulary "
    "JOIN case_labels p ON p.case_id = c.id AND p.vocabulary = 'period' "
    "WHERE c.status IN ('verified', 'escalated', 'closed') AND c.consent_stats = :yes "
    "GROUP BY l.code, p.code"
)


def upgrade() -> None:
    op.create_table('stats_counts',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'code', 'region', 'period', name=op.f('pk_stats_counts'))
    )
    op.execute(sa.text(_CUBE).bindparams(yes=True))
    for vocabulary in ('perpetrator', 'target'):
        op.execute(sa.text(_ONE_WAY).bindparams(yes=True, vocabulary=vocabulary))


def downgrade() -> None:
    op.drop_table('stats_counts')
