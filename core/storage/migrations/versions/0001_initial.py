"""Initial schema: the tables of core/storage/models.py.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 10:40:34.284678
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('link_mode', sa.Boolean(), nullable=False),
    sa.Column('files_seen', sa.Integer(), nullable=False),
    sa.Column('instances_imported', sa.Integer(), nullable=False),
    sa.Column('instances_already_present', sa.Integer(), nullable=False),
    sa.Column('files_rejected', sa.Integer(), nullable=False),
    sa.Column('files_skipped', sa.Integer(), nullable=False),
    sa.Column('studies_touched', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('patient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('name_normalised', sa.String(length=256), nullable=False),
    sa.Column('birth_date', sa.String(length=10), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index('ix_patient_birth_date', 'patient', ['birth_date'], unique=False)
    op.create_index('ix_patient_name_normalised', 'patient', ['name_normalised'], unique=False)

    op.create_table('import_issue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_run_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_import_issue_import_run_id', 'import_issue', ['import_run_id'], unique=False)

    op.create_table('patient_identifier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('pid', sa.String(length=128), nullable=False),
    sa.Column('issuer', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('name_normalised', sa.String(length=256), nullable=False),
    sa.Column('birth_date', sa.String(length=10), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pid', 'issuer', name='uq_identifier_pid_issuer')
    )
    op.create_index('ix_patient_identifier_name_normalised', 'patient_identifier', ['name_normalised'], unique=False)
    op.create_index('ix_patient_identifier_patient_id', 'patient_identifier', ['patient_id'], unique=False)
    op.create_index('ix_patient_identifier_pid', 'patient_identifier', ['pid'], unique=False)

    op.create_table('study',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_instance_uid', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('identifier_id', sa.Integer(), nullable=True),
    sa.Column('date', sa.String(length=10), nullable=True),
    sa.Column('time', sa.String(length=8), nullable=True),
    sa.Column('description', sa.String(length=256), nullable=True),
    sa.Column('accession_number', sa.String(length=64), nullable=True),
    sa.Column('institution', sa.String(length=256), nullable=True),
    sa.Column('patient_age', sa.String(length=8), nullable=True),
    sa.Column('patient_weight_kg', sa.Float(), nullable=True),
    sa.Column('modalities', sa.String(length=128), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('ionising', sa.Boolean(), nullable=True),
    sa.Column('effective_dose_msv', sa.Float(), nullable=True),
    sa.Column('effective_dose_low_msv', sa.Float(), nullable=True),
    sa.Column('effective_dose_high_msv', sa.Float(), nullable=True),
    sa.Column('estimate_factor_set', sa.String(length=32), nullable=True),
    sa.Column('estimate', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['identifier_id'], ['patient_identifier.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('study_instance_uid')
    )
    op.create_index('ix_study_date', 'study', ['date'], unique=False)
    op.create_index('ix_study_identifier_id', 'study', ['identifier_id'], unique=False)
    op.create_index('ix_study_patient_date', 'study', ['patient_id', 'date'], unique=False)
    op.create_index('ix_study_patient_id', 'study', ['patient_id'], unique=False)

    op.create_table('series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_instance_uid', sa.String(length=64), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('modality', sa.String(length=16), nullable=False),
    sa.Column('series_number', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=256), nullable=True),
    sa.Column('body_part', sa.String(length=64), nullable=True),
    sa.Column('protocol_name', sa.String(length=256), nullable=True),
    sa.Column('manufacturer', sa.String(length=128), nullable=True),
    sa.Column('model', sa.String(length=128), nullable=True),
    sa.Column('station', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('series_instance_uid')
    )
    op.create_index('ix_series_study_id', 'series', ['study_id'], unique=False)

    op.create_table('instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sop_instance_uid', sa.String(length=64), nullable=False),
    sa.Column('sop_class_uid', sa.String(length=64), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('instance_number', sa.Integer(), nullable=True),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('linked', sa.Boolean(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('transfer_syntax', sa.String(length=64), nullable=True),
    sa.Column('image_type', sa.String(length=128), nullable=True),
    sa.Column('presentation_intent', sa.String(length=32), nullable=True),
    sa.Column('number_of_frames', sa.Integer(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=True),
    sa.Column('columns', sa.Integer(), nullable=True),
    sa.Column('content_datetime', sa.String(length=32), nullable=True),
    sa.Column('source_label', sa.Text(), nullable=True),
    sa.Column('dose', sa.JSON(), nullable=True),
    sa.Column('import_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_run.id'], ),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sop_instance_uid')
    )
    op.create_index('ix_instance_import_run_id', 'instance', ['import_run_id'], unique=False)
    op.create_index('ix_instance_series_id', 'instance', ['series_id'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_instance_series_id', table_name='instance')
    op.drop_index('ix_instance_import_run_id', table_name='instance')

    op.drop_table('instance')
    op.drop_index('ix_series_study_id', table_name='series')

    op.drop_table('series')
    op.drop_index('ix_study_patient_id', table_name='study')
    op.drop_index('ix_study_patient_date', table_name='study')
    op.drop_index('ix_study_identifier_id', table_name='study')
    op.drop_index('ix_study_date', table_name='study')

    op.drop_table('study')
    op.drop_index('ix_patient_identifier_pid', table_name='patient_identifier')
    op.drop_index('ix_patient_identifier_patient_id', table_name='patient_identifier')
    op.drop_index('ix_patient_identifier_name_normalised', table_name='patient_identifier')

    op.drop_table('patient_identifier')
    op.drop_index('ix_import_issue_import_run_id', table_name='import_issue')

    op.drop_table('import_issue')
    op.drop_index('ix_patient_name_normalised', table_name='patient')
    op.drop_index('ix_patient_birth_date', table_name='patient')

    op.drop_table('patient')
    op.drop_table('import_run')
