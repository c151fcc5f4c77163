"""staff.time_zone: "" means the instance's zone; members still on the old default follow it

Revision ID: 0015_staff_zone_follows_site
Revises: 0010_teams_and_routing

Data only. Until now every account started with "UTC" and there was no instance zone, so
"UTC" was nobody's choice as often as it was; with the new `time_zone` setting (default
UTC, so nothing on screen changes here) those members follow the instance's zone until they
choose one on the account page.
"""

from alembic import op

revision = '0015_staff_zone_follows_site'
down_revision = '0010_teams_and_routing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE staff SET time_zone = '' WHERE time_zone = 'UTC'")


def downgrade() -> None:
    op.execute("UPDATE staff SET time_zone = 'UTC' WHERE time_zone = ''")
