"""Per-patient cumulative effective dose, with hypothesis property tests."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosetrail.core.dose.study import StudyEstimate
from dosetrail.core.dose.totals import ExamDose, placed_date
from dosetrail.core.dose.totals import patient_totals as _patient_totals


def patient_totals(entries):
    """The totals of ``(date, StudyEstimate[, counted])`` entries (uids by position)."""
    return _patient_totals([ExamDose.from_estimate(f"1.2.{i}", e[0], e[1], *(e[2:] or (True,)))
                            for i, e in enumerate(entries)])


def _by_date(points):
    """The cumulative total reached on each date (the last point of the date)."""
    return {p.date: p.cumulative_msv for p in points}


def est(value, ionising=True, rng=None):
    if value is not None and rng is None:
        rng = (value * 0.5, value * 1.5)
    return StudyEstimate(ionising=ionising, body_region=None, effective_dose_msv=value,
                         effective_dose_range_msv=rng)


def test_totals_sum_estimates_and_count_missing():
    exams = [("2020-03-01", est(8.0)), ("2021-07-15", est(2.0, rng=(1.0, 4.0))), ("2021-09-01", est(None)),
             ("2021-10-01", est(0.0, ionising=False, rng=(0.0, 0.0))), (None, est(1.5)),
             ("2022-01-01", est(None, ionising=None))]
    t = patient_totals(exams)
    assert t.cumulative_msv == pytest.approx(11.5)
    assert t.range_msv == pytest.approx((4.0 + 1.0 + 0.75, 12.0 + 4.0 + 2.25))
    assert t.range == t.range_msv
    assert t.per_year == pytest.approx({2020: 8.0, 2021: 2.0})
    assert t.exams_without_estimate == 2
    assert t.exams_with_estimate == 4  # the MR counts as 0.0 with an estimate
    assert t.undated_msv == pytest.approx(1.5)
    assert [p.date for p in t.points] == ["2020-03-01", "2021-07-15", "2021-10-01"]
    assert [p.study_instance_uid for p in t.points] == ["1.2.0", "1.2.1", "1.2.3"]  # one point per exam
    assert t.exams_unplaced == 1
    assert [p.cumulative_msv for p in t.points] == pytest.approx([8.0, 10.0, 10.0])
    assert t.points[-1].high_msv == pytest.approx(16.0)


def test_empty_history():
    t = patient_totals([])
    assert (t.cumulative_msv, t.range_msv, t.per_year, t.exams_without_estimate, t.points) == (0.0, (0.0, 0.0),
                                                                                                 {}, 0, [])


def test_dicom_dates_are_accepted():
    t = patient_totals([("20190102", est(1.0))])
    assert t.per_year == {2019: 1.0} and t.points[0].date == "2019-01-02"


dates = st.one_of(st.none(), st.dates(min_value=__import__("datetime").date(1990, 1, 1),
                                      max_value=__import__("datetime").date(2030, 12, 31)).map(lambda d: d.isoformat()))
estimates = st.one_of(
    st.none(),
    st.floats(min_value=0.0, max_value=100.0, allow_nan=False),
).map(lambda v: est(v))
exams = st.lists(st.tuples(dates, estimates), max_size=12)


@settings(max_examples=150, deadline=None)
@given(exams, dates, estimates)
def test_adding_an_exam_never_lowers_the_cumulative(history, date, new):
    before = patient_totals(history)
    after = patient_totals(history + [(date, new)])
    assert after.cumulative_msv >= before.cumulative_msv
    assert after.range_msv[1] >= before.range_msv[1]
    assert after.exams_without_estimate >= before.exams_without_estimate
    for year, value in before.per_year.items():
        assert after.per_year[year] >= value
    by_date = _by_date(after.points)
    for p in before.points:
        assert by_date[p.date] >= p.cumulative_msv


@settings(max_examples=100, deadline=None)
@given(exams, st.randoms(use_true_random=False))
def test_totals_do_not_depend_on_exam_order(history, rnd):
    shuffled = list(history)
    rnd.shuffle(shuffled)
    a, b = patient_totals(history), patient_totals(shuffled)
    assert a.cumulative_msv == b.cumulative_msv
    assert a.range_msv == b.range_msv
    assert a.per_year == b.per_year
    assert _by_date(a.points) == pytest.approx(_by_date(b.points))
    assert math.isclose(a.cumulative_msv, math.fsum(e.effective_dose_msv for _, e in history
                                                    if e.effective_dose_msv is not None))


def test_exams_not_counted_add_to_nothing():
    counted = patient_totals([("2020-01-01", est(2.0)), ("2021-01-01", est(None))])
    totals = patient_totals([("2020-01-01", est(2.0), True), ("2021-01-01", est(None), True),
                             ("2021-05-01", est(7.0), False), ("2022-01-01", est(None), False), (None, est(3.0), False)])
    assert totals.cumulative_msv == counted.cumulative_msv == 2.0
    assert totals.range_msv == counted.range_msv
    assert totals.per_year == {2020: 2.0}
    assert totals.exams_without_estimate == 1 and totals.exams_with_estimate == 1
    assert totals.exams_not_counted == 3 and totals.undated_msv == 0.0
    assert [p.date for p in totals.points] == ["2020-01-01"]


def test_an_impossible_date_counts_in_the_total_but_is_not_placed():
    # 20230231 was stored as "2023-02-31" by the importer: its dose counts, the curve cannot place it
    t = patient_totals([("2022-05-01", est(1.0)), ("2023-02-31", est(3.0)), ("2023", est(None))])
    assert t.cumulative_msv == pytest.approx(4.0) and t.undated_msv == pytest.approx(3.0)
    assert t.per_year == {2022: 1.0}
    assert [p.date for p in t.points] == ["2022-05-01"]
    assert t.exams_unplaced == 2 and t.exams_without_estimate == 1
    assert placed_date("2023-02-31") is None and placed_date("20240229") == "2024-02-29"


def test_total_is_unknown_only_when_no_exam_has_an_estimate():
    assert patient_totals([("2020-01-01", est(None))]).total_or_unknown is None
    assert patient_totals([("2020-01-01", est(None)), (None, est(2.0))]).total_or_unknown == 2.0
    assert patient_totals([]).total_or_unknown == 0.0
    assert patient_totals([("2020-01-01", est(2.0), False)]).total_or_unknown == 0.0
