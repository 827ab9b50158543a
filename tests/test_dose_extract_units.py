"""Property tests of the unit normalisation (core/dose/units.py)."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosetrail.core.dose import units

A = pytest.approx
values = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)
QUANTITY_UNITS = [(q, u) for q, table in units.FACTORS.items() for u in table]


@settings(max_examples=60, deadline=None)
@given(value=values, pair=st.sampled_from(QUANTITY_UNITS), other=st.data())
def test_round_trip_between_any_two_units(value, pair, other):
    quantity, unit = pair
    target = other.draw(st.sampled_from(sorted(units.FACTORS[quantity])))
    there = units.convert_between(value, unit, target, quantity)
    back = units.convert_between(there, target, unit, quantity)
    assert back == A(value, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(value=values)
def test_gy_m2_is_ten_thousand_gy_cm2(value):
    for spelling in ("Gy.m2", "Gym2", "Gy.m^2", "Gy*m2", "Gy·m²", "Gy m2"):
        assert units.convert(value, spelling, units.DAP_GYCM2) == A(value * 1e4, rel=1e-12)
    assert units.convert(value, "dGy.cm2", units.DAP_GYCM2) == A(value / 10, rel=1e-12)
    assert units.convert(value * 1e4, "dGy.cm2", units.DAP_GYCM2) == A(
        units.convert(value * 1e-1, "Gy.m2", units.DAP_GYCM2), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(value=values)
def test_header_helpers_match_the_tables(value):
    assert units.dgycm2_to_gycm2(value) == A(units.convert(value, "dGy.cm2", units.DAP_GYCM2))
    assert units.dgy_to_mgy(value) == A(units.convert(value, "dGy", units.DOSE_MGY))
    assert units.ms_to_s(value) == A(units.convert(value, "ms", units.TIME_S))


@settings(max_examples=40, deadline=None)
@given(value=values)
def test_scaling_is_linear(value):
    for quantity, table in units.FACTORS.items():
        for unit in table:
            assert units.convert(2 * value, unit, quantity) == A(2 * units.convert(value, unit, quantity))


@pytest.mark.parametrize("value, unit, quantity, expected", [
    (1.0, "Gy", units.DOSE_MGY, 1000.0),
    (1.0, "dGy", units.DOSE_MGY, 100.0),
    (1.0, "mGy", units.DOSE_GY, 0.001),
    (1.0, "Gy.cm", units.DLP_MGYCM, 1000.0),
    (1.0, "mGycm", units.DLP_MGYCM, 1.0),
    (1.0, "cm", units.LENGTH_MM, 10.0),
    (1.0, "min", units.TIME_S, 60.0),
    (1.0, "mCi", units.ACTIVITY_MBQ, 37.0),
    (1.0, "GBq", units.ACTIVITY_MBQ, 1000.0),
    (1.0, "µGy.m2", units.DAP_GYCM2, 0.01),
    (1.0, "cGy.cm2", units.DAP_GYCM2, 0.01),
    (1.0, "mGy.cm2", units.DAP_GYCM2, 0.001),
])
def test_fixed_factors(value, unit, quantity, expected):
    assert units.convert(value, unit, quantity) == A(expected)


def test_case_is_significant_and_unknown_units_raise():
    assert units.convert(1.0, "MBq", units.ACTIVITY_MBQ) == 1.0
    with pytest.raises(units.UnknownUnitError):
        units.convert(1.0, "mBq", units.ACTIVITY_MBQ)  # millibecquerel is not megabecquerel
    for bad in (None, "", "furlong", "Gy"):
        with pytest.raises(units.UnknownUnitError):
            units.convert(1.0, bad, units.DAP_GYCM2)
    with pytest.raises(ValueError):
        units.convert(math.nan, "mGy", units.DOSE_MGY)
