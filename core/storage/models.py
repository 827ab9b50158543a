"""The library's tables (SQLAlchemy 2.0 declarative models).

Every schema change goes through an Alembic migration in
``core/storage/migrations/versions`` (tests check the models and the
migrations agree).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Patient(Base):
    """A reconciled person. ``key`` is the stable id used by the CLI and exports."""

    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(256), default="")
    name_normalised: Mapped[str] = mapped_column(String(256), default="", index=True)
    birth_date: Mapped[Optional[str]] = mapped_column(String(10), index=True)
    sex: Mapped[Optional[str]] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    identifiers: Mapped[list["PatientIdentifier"]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="PatientIdentifier.id"
    )
    studies: Mapped[list["Study"]] = relationship(back_populates="patient", order_by="Study.date")


class PatientIdentifier(Base):
    """Every (Patient ID, issuer) seen for a patient, with the demographics it came with."""

    __tablename__ = "patient_identifier"
    __table_args__ = (UniqueConstraint("pid", "issuer", name="uq_identifier_pid_issuer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    pid: Mapped[str] = mapped_column(String(128), index=True)
    issuer: Mapped[str] = mapped_column(String(128), default="")
    name: Mapped[str] = mapped_column(String(256), default="")
    name_normalised: Mapped[str] = mapped_column(String(256), default="", index=True)
    birth_date: Mapped[Optional[str]] = mapped_column(String(10))
    sex: Mapped[Optional[str]] = mapped_column(String(1))

    patient: Mapped[Patient] = relationship(back_populates="identifiers")


class Study(Base):
    __tablename__ = "study"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_instance_uid: Mapped[str] = mapped_column(String(64), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    # the identifier the study's files carried (split operates on these)
    identifier_id: Mapped[Optional[int]] = mapped_column(ForeignKey("patient_identifier.id"), index=True)
    date: Mapped[Optional[str]] = mapped_column(String(10), index=True)
    time: Mapped[Optional[str]] = mapped_column(String(8))
    description: Mapped[Optional[str]] = mapped_column(String(256))
    accession_number: Mapped[Optional[str]] = mapped_column(String(64))
    institution: Mapped[Optional[str]] = mapped_column(String(256))
    patient_age: Mapped[Optional[str]] = mapped_column(String(8))
    patient_weight_kg: Mapped[Optional[float]] = mapped_column(Float)
    patient_size_m: Mapped[Optional[float]] = mapped_column(Float)  # PatientSize as given (migration 0003)
    modalities: Mapped[str] = mapped_column(String(128), default="")  # backslash-joined, sorted
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # dose estimate cache (recomputed from instance dose records, never re-imported)
    ionising: Mapped[Optional[bool]] = mapped_column(Boolean)
    effective_dose_msv: Mapped[Optional[float]] = mapped_column(Float)
    effective_dose_low_msv: Mapped[Optional[float]] = mapped_column(Float)
    effective_dose_high_msv: Mapped[Optional[float]] = mapped_column(Float)
    estimate_factor_set: Mapped[Optional[str]] = mapped_column(String(32))
    # core.dose.version.estimate_stamp of the stored estimate (migration 0005): indexed with
    # estimate_factor_set, so finding the studies to estimate again reads the index only
    estimate_stamp: Mapped[Optional[str]] = mapped_column(String(64))
    estimate: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    # probable QA/phantom/test object: why (set with the estimate), and the user's choice to
    # count the study in the patient's total anyway (True/False; None follows the detection)
    test_object: Mapped[Optional[str]] = mapped_column(String(256))
    count_in_total: Mapped[Optional[bool]] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="studies")
    series: Mapped[list["Series"]] = relationship(
        back_populates="study", cascade="all, delete-orphan", order_by="Series.series_number"
    )


class Series(Base):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_instance_uid: Mapped[str] = mapped_column(String(64), unique=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    modality: Mapped[str] = mapped_column(String(16), default="")
    series_number: Mapped[Optional[int]] = mapped_column(Integer)
    description: Mapped[Optional[str]] = mapped_column(String(256))
    body_part: Mapped[Optional[str]] = mapped_column(String(64))
    protocol_name: Mapped[Optional[str]] = mapped_column(String(256))
    manufacturer: Mapped[Optional[str]] = mapped_column(String(128))
    model: Mapped[Optional[str]] = mapped_column(String(128))
    station: Mapped[Optional[str]] = mapped_column(String(128))

    study: Mapped[Study] = relationship(back_populates="series")
    instances: Mapped[list["Instance"]] = relationship(
        back_populates="series", cascade="all, delete-orphan", order_by="Instance.instance_number"
    )


class Instance(Base):
    __tablename__ = "instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_instance_uid: Mapped[str] = mapped_column(String(64), unique=True)
    sop_class_uid: Mapped[str] = mapped_column(String(64), default="")
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    instance_number: Mapped[Optional[int]] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)  # store-relative path, or absolute when linked
    linked: Mapped[bool] = mapped_column(Boolean, default=False)
    size: Mapped[Optional[int]] = mapped_column(Integer)
    transfer_syntax: Mapped[Optional[str]] = mapped_column(String(64))
    image_type: Mapped[Optional[str]] = mapped_column(String(128))
    presentation_intent: Mapped[Optional[str]] = mapped_column(String(32))
    number_of_frames: Mapped[Optional[int]] = mapped_column(Integer)
    rows: Mapped[Optional[int]] = mapped_column(Integer)
    columns: Mapped[Optional[int]] = mapped_column(Integer)
    content_datetime: Mapped[Optional[str]] = mapped_column(String(32))
    source_label: Mapped[Optional[str]] = mapped_column(Text)
    dose: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)  # DoseRecord.to_dict()
    import_run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_run.id"), index=True)

    series: Mapped[Series] = relationship(back_populates="instances")


class ImportRun(Base):
    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|completed|cancelled|failed|interrupted
    link_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    files_seen: Mapped[int] = mapped_column(Integer, default=0)
    instances_imported: Mapped[int] = mapped_column(Integer, default=0)
    instances_already_present: Mapped[int] = mapped_column(Integer, default=0)
    files_rejected: Mapped[int] = mapped_column(Integer, default=0)
    files_skipped: Mapped[int] = mapped_column(Integer, default=0)
    studies_touched: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # "host:pid" of the importing process: a "running" run whose process is
    # gone is "interrupted" (migration 0002)
    owner: Mapped[Optional[str]] = mapped_column(String(128))

    issues: Mapped[list["ImportIssue"]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ImportIssue.id"
    )


class ImportIssue(Base):
    """One row per file an import did not import, with its reason."""

    __tablename__ = "import_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="rejected")  # rejected|skipped

    run: Mapped[ImportRun] = relationship(back_populates="issues")


Index("ix_study_patient_date", Study.patient_id, Study.date)
Index("ix_study_estimate_stamp", Study.estimate_stamp, Study.estimate_factor_set)
