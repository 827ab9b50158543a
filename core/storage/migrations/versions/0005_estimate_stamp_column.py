"""Each study's estimator stamp gets its own indexed column.

Revision ID: 0005
Revises: 0004

Whether a study's estimate is current (made by this estimator version with these
settings) was read from its estimate JSON: a library opening, and every import, read
every study's JSON (about 0.2 s per 50,000 studies on SQLite, more on PostgreSQL,
growing with the library). The stamp now also sits in ``study.estimate_stamp``,
covered by an index with ``estimate_factor_set``: the check reads the index only.
Existing estimates keep their stamp (copied from the JSON here).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

STAMP_KEY = "estimator_stamp"  # core.dose.version.STAMP_KEY (a migration keeps its own copy)


def upgrade() -> None:
    with op.batch_alter_table('study') as batch_op:
        batch_op.add_column(sa.Column('estimate_stamp', sa.String(length=64), nullable=True))
    op.create_index('ix_study_estimate_stamp', 'study', ['estimate_stamp', 'estimate_factor_set'])
    if context.is_offline_mode():  # SQL scripts (offline) have no rows to read
        return
    conn = op.get_bind()
    study = sa.table('study', sa.column('id'), sa.column('estimate', sa.JSON), sa.column('estimate_stamp'))
    rows = [{"b_id": study_id, "stamp": str(estimate.get(STAMP_KEY))[:64]}
            for study_id, estimate in conn.execute(sa.select(study.c.id, study.c.estimate)
                                                   .where(study.c.estimate.isnot(None)))
            if isinstance(estimate, dict) and estimate.get(STAMP_KEY)]
    if rows:
        conn.execute(sa.update(study).where(study.c.id == sa.bindparam("b_id"))
                     .values(estimate_stamp=sa.bindparam("stamp")), rows)


def downgrade() -> None:
    op.drop_index('ix_study_estimate_stamp', table_name='study')
    with op.batch_alter_table('study') as batch_op:
        batch_op.drop_column('estimate_stamp')
