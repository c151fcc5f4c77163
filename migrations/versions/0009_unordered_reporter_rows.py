"""reporter rows carry no insertion order: random ids for key wraps and pending notifications

Revision ID: 0009_unordered_reporter_rows
Revises: 0008

Every report and follow-up writes key wraps and a pending notification. Their ids were a
counter shared with staff actions (access grants add wraps too), so an attacker with the
database could place each submission between audited, precisely timed staff actions. Both
ids become random strings; existing rows get random ids here.

SQLite also numbers every row of an ordinary table (the hidden rowid, max + 1 on insert),
which would keep the order even with random ids. So key_wraps and pending_notifications
become WITHOUT ROWID tables (rebuilt; nothing references them), and cases and items —
which other tables reference, so rebuilding them would cascade deletes — get a trigger
that moves each new row to a random rowid, and their existing rows are shuffled once.
PostgreSQL has no rowid; what its storage still records (xmin, ctid) is in
docs/decisions.md.
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0009_unordered_reporter_rows'
down_revision = '0008'
branch_labels = None
depends_on = None

RANDOM_ID_TABLES = ('key_wraps', 'pending_notifications')
SHUFFLED_TABLES = ('cases', 'items')


def _trigger(table: str) -> str:
    return f'{table}_unordered_rowid'


def _random_ids_sqlite(table: str) -> None:
    """Rebuild as WITHOUT ROWID with a text id, then give every row a random uuid4."""
    with op.batch_alter_table(table, recreate='always',
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.alter_column('id', existing_type=sa.Integer(), type_=sa.String(length=36),
                              autoincrement=False, existing_nullable=False)
    bind = op.get_bind()
    old = list(bind.execute(sa.text(f'SELECT id FROM {table}')).scalars())
    if old:
        bind.execute(sa.text(f'UPDATE {table} SET id = :new WHERE id = :old'),
                     [{'new': str(uuid.uuid4()), 'old': o} for o in old])


def _random_ids_postgresql(table: str) -> None:
    """Drop the serial counter and replace every id by a random uuid (PostgreSQL ≥ 13)."""
    bind = op.get_bind()
    seq = bind.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"),
                       {'t': table}).scalar()
    op.execute(f'ALTER TABLE {table} ALTER COLUMN id DROP DEFAULT')
    op.execute(f'ALTER TABLE {table} ALTER COLUMN id TYPE VARCHAR(36) '
               'USING gen_random_uuid()::text')
    if seq:
        op.execute(f'DROP SEQUENCE IF EXISTS {seq}')


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in RANDOM_ID_TABLES:
        if sqlite:
            _random_ids_sqlite(table)
        else:
            _random_ids_postgresql(table)
    if not sqlite:
        return
    for table in SHUFFLED_TABLES:
        # A collision of two random 64-bit rowids fails that one insert (odds ~ n / 2^64).
        op.execute(f'CREATE TRIGGER {_trigger(table)} AFTER INSERT ON {table} BEGIN '
                   f'UPDATE {table} SET rowid = random() WHERE rowid = NEW.rowid; END')
        op.execute(f'UPDATE {table} SET rowid = random()')


def _counter_ids_sqlite(table: str) -> None:
    bind = op.get_bind()
    bind.execute(sa.text(f'CREATE TEMPORARY TABLE _renumber AS SELECT id AS old, '
                         f'row_number() OVER (ORDER BY id) AS new FROM {table}'))
    bind.execute(sa.text(f'UPDATE {table} SET id = (SELECT new FROM _renumber '
                         f'WHERE old = {table}.id)'))
    bind.execute(sa.text('DROP TABLE _renumber'))
    with op.batch_alter_table(table, recreate='always',
                              table_kwargs={'sqlite_with_rowid': True}) as batch_op:
        batch_op.alter_column('id', existing_type=sa.String(length=36), type_=sa.Integer(),
                              autoincrement=True, existing_nullable=False)


def _counter_ids_postgresql(table: str) -> None:
    seq = f'{table}_id_seq'
    op.execute(f'CREATE SEQUENCE {seq} OWNED BY NONE')
    op.execute(f'ALTER TABLE {table} ALTER COLUMN id TYPE INTEGER USING nextval(\'{seq}\')')
    op.execute(f'ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval(\'{seq}\')')
    op.execute(f'ALTER SEQUENCE {seq} OWNED BY {table}.id')


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for table in SHUFFLED_TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS {_trigger(table)}')
    for table in RANDOM_ID_TABLES:
        if sqlite:
            _counter_ids_sqlite(table)
        else:
            _counter_ids_postgresql(table)
