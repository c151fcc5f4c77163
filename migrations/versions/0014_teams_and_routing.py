"""need to know: teams, members, routing by region, the teams of each case, restricted cases

Revision ID: 0010_teams_and_routing
Revises: 0011_security_keys

Until an admin defines the first team, every reader still receives every new case (the
behaviour before this revision); existing wraps are not touched here. Admins then create
teams, route regions to them and move existing cases, which re-wraps and deletes wraps.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010_teams_and_routing'
down_revision = '0011_security_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'teams',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(80), nullable=False, unique=True),
        sa.Column('is_default', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'team_members',
        sa.Column('team_id', sa.String(36), sa.ForeignKey('teams.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('staff_id', sa.String(36), sa.ForeignKey('staff.id', ondelete='CASCADE'),
                  primary_key=True),
    )
    op.create_index('ix_team_members_staff_id', 'team_members', ['staff_id'])
    op.create_table(
        'routing_rules',
        sa.Column('region', sa.String(32), primary_key=True),
        sa.Column('team_id', sa.String(36), sa.ForeignKey('teams.id', ondelete='CASCADE'),
                  nullable=False),
    )
    op.create_index('ix_routing_rules_team_id', 'routing_rules', ['team_id'])
    op.create_table(
        'case_teams',
        sa.Column('case_id', sa.String(36), sa.ForeignKey('cases.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('team_id', sa.String(36), sa.ForeignKey('teams.id', ondelete='CASCADE'),
                  primary_key=True),
    )
    op.create_index('ix_case_teams_team_id', 'case_teams', ['team_id'])
    with op.batch_alter_table('cases', recreate='never') as batch:
        batch.add_column(sa.Column('restricted', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('cases', recreate='never') as batch:
        batch.drop_column('restricted')
    op.drop_index('ix_case_teams_team_id', 'case_teams')
    op.drop_table('case_teams')
    op.drop_index('ix_routing_rules_team_id', 'routing_rules')
    op.drop_table('routing_rules')
    op.drop_index('ix_team_members_staff_id', 'team_members')
    op.drop_table('team_members')
    op.drop_table('teams')
