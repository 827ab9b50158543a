"""Studies keep the patient's height, whether they look like a QA/phantom/test
object, and the user's choice to count them in the patient's total.

Revision ID: 0003
Revises: 0002

Existing studies are checked for test objects here (the same rule as a new
estimate), so an upgraded library keeps them out of totals at once.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import context, op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('study') as batch_op:
        batch_op.add_column(sa.Column('patient_size_m', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('test_object', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('count_in_total', sa.Boolean(), nullable=True))
    if not context.is_offline_mode():  # SQL scripts (offline) have no rows to read
        _flag_test_objects(op.get_bind())


def _flag_test_objects(conn) -> None:
    from dosetrail.core.dose.test_objects import test_object_reason

    study = sa.table('study', sa.column('id'), sa.column('patient_id'), sa.column('identifier_id'),
                     sa.column('description'), sa.column('test_object'))
    series_t = sa.table('series', sa.column('study_id'), sa.column('description'), sa.column('protocol_name'))
    patient = sa.table('patient', sa.column('id'), sa.column('name'))
    ident = sa.table('patient_identifier', sa.column('id'), sa.column('name'), sa.column('pid'))
    series: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for study_id, desc, protocol in conn.execute(sa.select(series_t.c.study_id, series_t.c.description,
                                                           series_t.c.protocol_name)):
        series[study_id] += [("series description", desc), ("protocol", protocol)]
    rows = conn.execute(
        sa.select(study.c.id, study.c.description, patient.c.name, ident.c.name, ident.c.pid)
        .select_from(study.join(patient, patient.c.id == study.c.patient_id)
                     .outerjoin(ident, ident.c.id == study.c.identifier_id))).all()
    for study_id, desc, patient_name, ident_name, pid in rows:
        reason = test_object_reason([("study description", desc), ("patient name", ident_name),
                                     ("patient name", patient_name), ("patient ID", pid)] + series[study_id])
        if reason is not None:
            conn.execute(sa.update(study).where(study.c.id == study_id).values(test_object=reason[:256]))


def downgrade() -> None:
    with op.batch_alter_table('study') as batch_op:
        batch_op.drop_column('count_in_total')
        batch_op.drop_column('test_object')
        batch_op.drop_column('patient_size_m')
