"""Dose extraction on small datasets built inline with pydicom.

SR cases: each states the quirk real files have (unit spellings, empty values,
multi-valued numbers, implicit VR / big endian, broken items, vendor private
summaries...). Image headers and dose screens: test_dose_extract_headers.py.
"""
from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from dosetrail.core.dose import extract as extract_module
from dosetrail.core.dose.extract import extract_dose

A = pytest.approx
RDSR_SOP = "1.2.840.10008.5.1.4.1.1.88.67"
ENHANCED_SR_SOP = "1.2.840.10008.5.1.4.1.1.88.22"
RRDSR_SOP = "1.2.840.10008.5.1.4.1.1.88.68"
KOS_SOP = "1.2.840.10008.5.1.4.1.1.88.59"


# ---- tiny SR builder -------------------------------------------------------------

def code(value: str, scheme: str = "DCM", meaning: str = "") -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning or value
    return item


def _node(value_type: str, concept: tuple, relationship: str = "CONTAINS") -> Dataset:
    item = Dataset()
    item.RelationshipType = relationship
    item.ValueType = value_type
    item.ConceptNameCodeSequence = Sequence([code(*concept)])
    return item


def container(concept: tuple, *children: Dataset) -> Dataset:
    item = _node("CONTAINER", concept)
    item.ContinuityOfContent = "SEPARATE"
    item.ContentSequence = Sequence(list(children))
    return item


def num(concept: tuple, value, unit: str | None, *modifiers: Dataset) -> Dataset:
    item = _node("NUM", concept)
    measured = Dataset()
    if value is not None:
        measured.NumericValue = value
    if unit is not None:
        measured.MeasurementUnitsCodeSequence = Sequence([code(unit, "UCUM", unit)])
    item.MeasuredValueSequence = Sequence([measured] if (value is not None or unit is not None) else [])
    if modifiers:
        item.ContentSequence = Sequence(list(modifiers))
    return item


def code_item(concept: tuple, value: tuple, *modifiers: Dataset, relationship: str = "CONTAINS") -> Dataset:
    item = _node("CODE", concept, relationship)
    item.ConceptCodeSequence = Sequence([code(*value)])
    if modifiers:
        item.ContentSequence = Sequence(list(modifiers))
    return item


def uid_item(concept: tuple, uid: str) -> Dataset:
    item = _node("UIDREF", concept)
    item.UID = uid
    return item


def text_item(concept: tuple, value: str) -> Dataset:
    item = _node("TEXT", concept)
    item.TextValue = value
    return item


def dt_item(concept: tuple, value: str) -> Dataset:
    item = _node("DATETIME", concept)
    item.DateTime = value
    return item


def document(title: tuple, *children: Dataset, sop: str = RDSR_SOP, **attrs) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "SR"
    ds.Manufacturer = "ACME"
    ds.ManufacturerModelName = "Scanner 9"
    ds.ContentDate = "20240102"
    ds.ContentTime = "101530"
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = Sequence([code(*title)])
    ds.ContentSequence = Sequence(list(children))
    for key, value in attrs.items():
        setattr(ds, key, value)
    return ds


def roundtrip(ds: Dataset, syntax=ExplicitVRLittleEndian) -> Dataset:
    """Write with the given transfer syntax and read back (as an importer would)."""
    ds.file_meta.TransferSyntaxUID = syntax
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    buf.seek(0)
    return pydicom.dcmread(buf, stop_before_pixels=True)


XRAY_REPORT = ("113701", "DCM")


def ct_event(ctdivol=("10.5", "mGy"), dlp=("315", "mGy.cm"), length=("300", "mm"), uid=None,
             acq_type=("P5-08001", "SRT"), phantom=("113691", "DCM"), extra_params=()) -> Dataset:
    params = [num(("113825", "DCM"), *length)] if length else []
    params.extend(extra_params)
    dose = []
    if ctdivol:
        dose.append(num(("113830", "DCM"), *ctdivol))
    if phantom:
        dose.append(code_item(("113835", "DCM"), phantom))
    if dlp:
        dose.append(num(("113838", "DCM"), *dlp))
    return container(
        ("113819", "DCM"),
        text_item(("125203", "DCM"), "Chest routine"),
        code_item(("123014", "DCM"), ("T-D3000", "SRT", "Chest")),
        code_item(("113820", "DCM"), acq_type),
        uid_item(("113769", "DCM"), uid or generate_uid()),
        container(("113822", "DCM"), *params),
        container(("113829", "DCM"), *dose),
    )


def ct_report(*events: Dataset, total=("315", "mGy.cm"), sop=RDSR_SOP) -> Dataset:
    acc = container(("113811", "DCM"), num(("113813", "DCM"), *total)) if total else None
    items = ([acc] if acc is not None else []) + list(events)
    return document(XRAY_REPORT, *items, sop=sop)


# ---- CT RDSR ---------------------------------------------------------------------

@pytest.mark.parametrize("unit, factor", [("mGy.cm", 1.0), ("mGycm", 1.0), ("mGy cm", 1.0), ("Gy.cm", 1000.0)])
def test_ct_dlp_unit_spellings(unit, factor):
    record = extract_dose(ct_report(ct_event(dlp=("0.315" if factor > 1 else "315", unit)),
                                    total=("0.315" if factor > 1 else "315", unit)))
    assert record.ct_events[0].dlp_mgycm == A(315.0)
    assert record.ct_dlp_total_mgycm == A(315.0)
    assert not record.warnings


def test_ct_rdsr_fields():
    uid = generate_uid()
    record = extract_dose(ct_report(ct_event(uid=uid)))
    assert (record.kind, record.source, record.report_modality) == ("ct", "RDSR", "CT")
    event = record.ct_events[0]
    assert event.event_uid == uid
    assert event.ctdivol_mgy == A(10.5)
    assert event.scanning_length_mm == A(300.0)
    assert event.phantom_cm == 32
    assert event.acquisition_type == "spiral"
    assert event.protocol == "Chest routine"
    assert (event.target_region.value, event.target_region.scheme) == ("T-D3000", "SRT")
    assert [(c.value, c.scheme) for c in record.target_region_codes] == [("T-D3000", "SRT")]
    assert record.content_datetime == "2024-01-02T10:15:30"
    assert record.device == "ACME Scanner 9"


@pytest.mark.parametrize("acq, expected", [
    (("113805", "DCM"), "localizer"), (("113804", "DCM"), "sequenced"), (("116152004", "SCT"), "spiral"),
    (("113806", "DCM"), "stationary"), (("113807", "DCM"), "free")])
def test_ct_acquisition_types(acq, expected):
    assert extract_dose(ct_report(ct_event(acq_type=acq))).ct_events[0].acquisition_type == expected


def test_head_phantom_and_unknown_phantom_code():
    head = extract_dose(ct_report(ct_event(phantom=("113690", "DCM"))))
    assert head.ct_events[0].phantom_cm == 16
    other = extract_dose(ct_report(ct_event(phantom=("999999", "99X"))))
    assert other.ct_events[0].phantom_cm is None
    assert any("999999" in w for w in other.warnings)


def test_concepts_matched_by_code_not_meaning():
    """A CTDIvol item whose meaning is wrong but code right is read; a 'Mean CTDIvol'
    meaning on another code is not."""
    event = ct_event(ctdivol=None)
    dose = [c for c in event.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "113829"][0]
    right = num(("113830", "DCM", "something else"), "7.5", "mGy")
    wrong = num(("999001", "99PRIV", "Mean CTDIvol"), "99", "mGy")
    dose.ContentSequence = Sequence([wrong, right] + list(dose.ContentSequence))
    assert extract_dose(ct_report(event)).ct_events[0].ctdivol_mgy == A(7.5)


def test_unknown_unit_gives_none_and_names_the_unit():
    record = extract_dose(ct_report(ct_event(dlp=("315", "furlong.Gy")), total=("315", "furlong.Gy")))
    assert record.ct_events[0].dlp_mgycm is None
    assert record.ct_dlp_total_mgycm is None
    assert any("furlong.Gy" in w for w in record.warnings)


def test_empty_measured_value_is_unknown_not_zero():
    record = extract_dose(ct_report(ct_event(ctdivol=(None, None)), total=(None, None)))
    assert record.ct_events[0].ctdivol_mgy is None
    assert record.ct_dlp_total_mgycm is None
    assert "ctdivol_mgy" not in record.to_dict()["ct_events"][0]
    assert any("empty measured value" in w for w in record.warnings)


def test_multi_valued_number_uses_mean_with_warning():
    record = extract_dose(ct_report(ct_event(ctdivol=(["10", "20"], "mGy"))))
    assert record.ct_events[0].ctdivol_mgy == A(15.0)
    assert any("2 values" in w for w in record.warnings)


def test_scanning_length_falls_back_to_exposed_range_and_converts_cm():
    exposed = num(("113899", "DCM"), "25.5", "cm")
    record = extract_dose(ct_report(ct_event(length=None, extra_params=[exposed])))
    assert record.ct_events[0].scanning_length_mm == A(255.0)


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian])
def test_transfer_syntaxes_give_the_same_record(syntax):
    ds = ct_report(ct_event(uid="1.2.3.4"), ct_event(ctdivol=("3.25", "mGy"), dlp=("80.5", "mGy.cm"), uid="1.2.3.5"),
                   total=("395.5", "mGy.cm"))
    reread = roundtrip(ds, syntax)
    assert reread.file_meta.TransferSyntaxUID == syntax
    record = extract_dose(reread)
    assert [e.ctdivol_mgy for e in record.ct_events] == A([10.5, 3.25])
    assert [e.event_uid for e in record.ct_events] == ["1.2.3.4", "1.2.3.5"]
    assert record.ct_dlp_total_mgycm == A(395.5)


def test_enhanced_sr_with_ct_template_is_a_ct_report():
    record = extract_dose(ct_report(ct_event(), sop=ENHANCED_SR_SOP))
    assert record.kind == "ct" and len(record.ct_events) == 1


def test_reported_effective_dose_is_kept():
    event = ct_event()
    dose = [c for c in event.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "113829"][0]
    dose.ContentSequence.append(num(("113839", "DCM"), "4.2", "mSv"))
    assert extract_dose(ct_report(event)).ct_events[0].effective_dose_msv == A(4.2)


# ---- objects without dose ----------------------------------------------------------

def test_non_dose_objects_give_none():
    report = document(("18748-4", "LN", "Diagnostic Imaging Report"),
                      text_item(("121071", "DCM"), "Findings: normal"), sop=ENHANCED_SR_SOP)
    assert extract_dose(report) is None
    kos = document(("113000", "DCM", "Of Interest"), sop=KOS_SOP, Modality="KO")
    assert extract_dose(kos) is None
    for modality in ("MR", "US", "OT"):
        image = Dataset()
        image.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
        image.Modality = modality
        assert extract_dose(image) is None


def test_extract_dose_never_raises(monkeypatch):
    def broken(ds, record):
        raise RuntimeError("vendor surprise")

    monkeypatch.setattr(extract_module, "extract_ct_sr", broken)
    ds = ct_report(ct_event())
    record = extract_dose(ds)
    assert record is not None and any("vendor surprise" in w for w in record.warnings)
    assert record.sop_instance_uid == ds.SOPInstanceUID


def test_one_broken_event_keeps_the_others(monkeypatch):
    from dosetrail.core.dose import extract_ct_sr

    real = extract_ct_sr._event
    calls = []

    def flaky(container, warnings, label):
        calls.append(label)
        if len(calls) == 2:
            raise ValueError("garbled item")
        return real(container, warnings, label)

    monkeypatch.setattr(extract_ct_sr, "_event", flaky)
    record = extract_dose(ct_report(ct_event(), ct_event(), ct_event(ctdivol=("2", "mGy"))))
    assert [e.ctdivol_mgy for e in record.ct_events] == A([10.5, 2.0])
    assert any("CT event 2" in w and "garbled item" in w for w in record.warnings)


# ---- projection RDSR ---------------------------------------------------------------

PLANE = ("113764", "DCM")


def accumulated(plane=("113622", "DCM"), *items: Dataset) -> Dataset:
    return container(("113702", "DCM"), code_item(PLANE, plane, relationship="HAS CONCEPT MOD"), *items)


def proj_event(*items: Dataset, plane=("113622", "DCM"), event_type=("113611", "DCM")) -> Dataset:
    return container(("113706", "DCM"), code_item(PLANE, plane, relationship="HAS CONCEPT MOD"),
                     uid_item(("113769", "DCM"), generate_uid()),
                     code_item(("113721", "DCM"), event_type), *items)


def proj_report(*items: Dataset, procedure=("113704", "DCM")) -> Dataset:
    return document(XRAY_REPORT, code_item(("121058", "DCM"), procedure, relationship="HAS CONCEPT MOD"), *items)


@pytest.mark.parametrize("value, unit", [
    ("0.000123", "Gy.m2"), ("0.000123", "Gym2"), ("12.3", "dGy.cm2"), ("123", "cGy.cm2"),
    ("1230", "mGy.cm2"), ("123", "uGy.m2"), ("1.23", "Gy.cm2"), ("1.23", "Gy.cm^2")])
def test_dap_unit_variants(value, unit):
    record = extract_dose(proj_report(accumulated(("113622", "DCM"), num(("113722", "DCM"), value, unit)),
                                      proj_event(num(("122130", "DCM"), value, unit))))
    assert record.accumulations[0].dap_total_gycm2 == A(1.23)
    assert record.projection_events[0].dap_gycm2 == A(1.23)
    assert record.report_modality == "DX"


def test_dose_rp_in_mgy_and_times():
    record = extract_dose(proj_report(
        accumulated(("113622", "DCM"), num(("113725", "DCM"), "52", "mGy"), num(("113730", "DCM"), "1.5", "min")),
        proj_event(num(("113738", "DCM"), "3", "mGy"), num(("113735", "DCM"), "250", "ms"),
                   event_type=("P5-06000", "SRT"))))
    acc = record.accumulations[0]
    assert acc.dose_rp_total_gy == A(0.052)
    assert acc.fluoro_time_s == A(90.0)
    assert record.projection_events[0].dose_rp_gy == A(0.003)
    assert record.projection_events[0].exposure_time_s == A(0.25)
    assert record.projection_events[0].irradiation_type == "fluoroscopy"
    assert record.report_modality == "RF"


def test_dap_without_unit_is_unknown():
    record = extract_dose(proj_report(accumulated(("113622", "DCM"), num(("113722", "DCM"), "1.2", None))))
    assert record.accumulations[0].dap_total_gycm2 is None
    assert any("no unit" in w for w in record.warnings)


def test_biplane_fluoroscopy_is_xa_with_one_accumulation_per_plane():
    record = extract_dose(proj_report(
        accumulated(("113620", "DCM"), num(("113722", "DCM"), "0.001", "Gy.m2"), num(("113730", "DCM"), "60", "s")),
        accumulated(("113621", "DCM"), num(("113722", "DCM"), "0.0005", "Gy.m2"), num(("113730", "DCM"), "30", "s")),
        proj_event(num(("122130", "DCM"), "0.0001", "Gy.m2"), plane=("113621", "DCM"),
                   event_type=("44491008", "SCT"))))
    assert [(a.plane, a.dap_total_gycm2) for a in record.accumulations] == [("A", A(10.0)), ("B", A(5.0))]
    assert record.projection_events[0].plane == "B"
    assert record.report_modality == "XA"


@pytest.mark.parametrize("device, expected", [(("113957", "DCM"), "RF"), (("113958", "DCM"), "DX"),
                                              (("113959", "DCM"), "DX")])
def test_acquisition_device_type_classifies(device, expected):
    record = extract_dose(proj_report(code_item(("122142", "DCM"), device),
                                      accumulated(("113622", "DCM"), num(("113722", "DCM"), "1", "dGy.cm2"))))
    assert record.report_modality == expected


def test_mammography_agd_per_breast_with_sct_codes():
    lat = ("272741003", "SCT")
    record = extract_dose(proj_report(
        accumulated(("113622", "DCM"),
                    num(("111637", "DCM"), "1.1", "mGy",
                        code_item(lat, ("80248007", "SCT", "Left breast"), relationship="HAS CONCEPT MOD")),
                    num(("111637", "DCM"), "1.4", "mGy",
                        code_item(lat, ("73056007", "SCT", "Right breast"), relationship="HAS CONCEPT MOD"))),
        proj_event(num(("111631", "DCM"), "1.1", "mGy"),
                   code_item(("T-D0005", "SRT"), ("T-04000", "SRT", "Breast"),
                             code_item(lat, ("7771000", "SCT", "Left"), relationship="HAS CONCEPT MOD")),
                   code_item(("111031", "DCM"), ("399368009", "SCT", "medio-lateral oblique"))),
        procedure=("71651007", "SCT")))
    assert record.report_modality == "MG"
    assert record.accumulations[0].agd_by_laterality_mgy == A({"L": 1.1, "R": 1.4})
    event = record.projection_events[0]
    assert (event.agd_mgy, event.laterality, event.view) == (A(1.1), "L", "MLO")


def test_agd_alone_makes_mammography():
    record = extract_dose(proj_report(proj_event(num(("111631", "DCM"), "0.9", "mGy"))))
    assert record.report_modality == "MG"


def test_siemens_private_radiation_summary():
    """Siemens (Varic) fluoroscopy summary: root C-10, C-202 fluoro time, C-204 DAP in Gy.cm^2."""
    ds = document(("C-10", "99SMS_RADSUM", "Radiation summary"),
                  num(("C-200", "99SMS_RADSUM", "Number of frames"), "12", "{frames}"),
                  num(("C-202", "99SMS_RADSUM", "Total fluoro time"), "95", "s"),
                  num(("C-204", "99SMS_RADSUM", "Cumulative dose area product"), "3.5", "Gy.cm^2"),
                  sop=ENHANCED_SR_SOP)
    record = extract_dose(ds)
    assert record.kind == "projection" and record.report_modality == "RF"
    assert record.accumulations[0].dap_total_gycm2 == A(3.5)
    assert record.accumulations[0].fluoro_time_s == A(95.0)
    assert any("99SMS_RADSUM" in w for w in record.warnings)


# ---- radiopharmaceutical SR ----------------------------------------------------------

def admin(activity=("370", "MBq"), nested_dose=True) -> Dataset:
    items = [
        uid_item(("113503", "DCM"), "1.2.3.99"),
        code_item(("349358000", "SCT"), ("35321007", "SCT", "Fluorodeoxyglucose F^18^")),
        code_item(("89457008", "SCT"), ("77004003", "SCT", "^18^Fluorine")),
        dt_item(("123003", "DCM"), "20240102093000"),
        num(("113507", "DCM"), *activity),
    ]
    dose = num(("113839", "DCM"), "7.03", "mSv")
    items.append(container(("P-1", "99VENDOR"), container(("P-2", "99VENDOR"), dose)) if nested_dose else dose)
    return container(("113502", "DCM"), *items)


@pytest.mark.parametrize("value, unit", [("370", "MBq"), ("370000000", "Bq"), ("370000", "kBq"),
                                         ("0.37", "GBq"), ("10", "mCi")])
def test_rrdsr_activity_units(value, unit):
    ds = document(("113500", "DCM"), admin((value, unit)), sop=RRDSR_SOP)
    record = extract_dose(ds)
    assert (record.kind, record.source) == ("nm", "RRDSR")
    assert record.administrations[0].activity_mbq == A(370.0)


def test_rrdsr_fields_and_nested_effective_dose():
    record = extract_dose(document(("113500", "DCM"), admin(), sop=RRDSR_SOP))
    a = record.administrations[0]
    assert a.reported_effective_dose_msv == A(7.03)
    assert a.nuclide == "F-18" and a.nuclide_code.value == "77004003"
    assert a.radiopharmaceutical_code.value == "35321007"
    assert a.start_datetime == "2024-01-02T09:30:00"
    assert a.administration_uid == "1.2.3.99"


def test_garbled_number_and_truncated_report(recwarn):
    ds = ct_report(ct_event(ctdivol=("9.87", "mGy"), dlp=("296.1", "mGy.cm")), total=("296.1", "mGy.cm"))
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    garbled = pydicom.dcmread(io.BytesIO(buf.getvalue().replace(b"9.87", b"x#7q")))
    record = extract_dose(garbled)
    assert record.ct_events[0].ctdivol_mgy is None
    assert record.ct_events[0].dlp_mgycm == A(296.1)
    assert any("unreadable numeric value" in w for w in record.warnings)
    # the last bytes (part of the last event) are lost: what was read is kept
    truncated = pydicom.dcmread(io.BytesIO(buf.getvalue()[:-40]), stop_before_pixels=True)
    record = extract_dose(truncated)
    assert record is not None and record.ct_dlp_total_mgycm == A(296.1)
    assert record.ct_events[0].ctdivol_mgy == A(9.87)


@pytest.mark.parametrize("procedure, kind", [(("P5-08000", "SRT"), "ct"), (("77477000", "SCT"), "ct"),
                                             (("113704", "DCM"), "projection")])
def test_dose_report_without_template_content(procedure, kind):
    ds = document(XRAY_REPORT, code_item(("121058", "DCM"), procedure, relationship="HAS CONCEPT MOD"),
                  text_item(("121106", "DCM"), "vendor comment only"))
    record = extract_dose(ds)
    assert record.kind == kind and record.source == "RDSR"
    assert not record.ct_events and not record.projection_events and record.ct_dlp_total_mgycm is None
    assert any("no known template" in w for w in record.warnings)
