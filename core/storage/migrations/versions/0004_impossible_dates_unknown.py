"""Dates that are not calendar dates, stored by older versions, become unknown.

Revision ID: 0004
Revises: 0003

Before core/dicom/dates.py the importer stored a study dated ``20230231`` as
``"2023-02-31"``: its dose counted in the total, but the window could not place
it and did not list it as undated. Such study dates become NULL with the
warning a new import gives (``study date 20230231 is not a calendar date; the
date is unknown``); such patient birth dates become NULL. Valid dates are left
as they are. The name keys (``name_normalised``) do not change in this version.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _is_calendar_date(iso: str) -> bool:
    from dosetrail.core.dicom.dates import iso_date

    return iso_date(iso[:10]) is not None


def upgrade() -> None:
    if context.is_offline_mode():  # SQL scripts (offline) have no rows to read
        return
    from dosetrail.core.dicom.dates import date_warning

    conn = op.get_bind()
    study = sa.table('study', sa.column('id'), sa.column('date'), sa.column('warnings', sa.JSON))
    for study_id, iso, warnings in conn.execute(sa.select(study.c.id, study.c.date, study.c.warnings)
                                                .where(study.c.date.isnot(None))).all():
        if _is_calendar_date(iso):
            continue
        warning = date_warning("study date", iso.replace("-", ""))
        kept = list(warnings or [])
        conn.execute(sa.update(study).where(study.c.id == study_id)
                     .values(date=None, warnings=kept + [warning] if warning not in kept else kept))
    for name in ('patient', 'patient_identifier'):
        table = sa.table(name, sa.column('id'), sa.column('birth_date'))
        bad = [row_id for row_id, iso in conn.execute(sa.select(table.c.id, table.c.birth_date)
                                                      .where(table.c.birth_date.isnot(None)))
               if not _is_calendar_date(iso)]
        if bad:
            conn.execute(sa.update(table).where(table.c.id.in_(bad)).values(birth_date=None))


def downgrade() -> None:
    pass  # the impossible dates are not restored
