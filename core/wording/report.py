"""The PDF report's explanation of effective dose (plain text; the PDF joins numbers to units).

It follows the project's reference notes (``/work/shared/reference/context.md``):
effective dose is a population quantity for a reference person, not a personal
risk; imaging decisions rest on clinical grounds; natural background is about
2.4 mSv per year.
"""
from __future__ import annotations

from .kinds import N_
from .locale_format import fmt_integer, gettext, ngettext
from .numbers import background_equivalent, fmt_setting, plural


def explanation_paragraphs(background_msv_per_year: float, factor_set: str) -> list[str]:
    """The explanation of what effective dose is and is not (plain text).

    Parameters
    ----------
    background_msv_per_year : float
        The natural background used for comparisons.
    factor_set : str
        The conversion factor set the estimates use.

    Returns
    -------
    list of str
    """
    bg = fmt_setting(background_msv_per_year)
    paragraphs = [gettext(
        "Effective dose (in millisievert, mSv) is a radiation protection quantity. It describes "
        "the exposure of a reference person, averaged over ages and both sexes; it is a "
        "population quantity, not a measurement on this patient and not a personal risk figure. "
        "Risk coefficients derived for populations (ICRP's nominal 5.7 × 10⁻² per Sv) must not "
        "be applied to an individual."), gettext(
        "The figures in this report are estimates made by DoseTrail from the dose data the "
        "equipment recorded (DICOM dose reports and image headers) with published conversion "
        "factors (factor set {factor_set}). For a reference patient such estimates carry an "
        "uncertainty of about ±40–50 %, shown as a range; the choice of factor set alone can "
        "change a chest CT estimate by about 50 %. Exams without a dose estimate are not "
        "included in the totals, which are then lower than the real exposure.").format(factor_set=factor_set),
        (gettext("For comparison, natural background radiation gives on average about {bg} mSv per "
                 "year worldwide (UNSCEAR 2000).") if abs(background_msv_per_year - 2.4) < 1e-9 else
         gettext("For comparison, natural background radiation gives about {bg} mSv per year (the "
                 "value chosen in the settings; world average 2.4 mSv, UNSCEAR 2000).")).format(bg=bg),
        gettext("The decision to perform an imaging exam should rest on clinical grounds, not on the "
                "dose of prior exams (joint AAPM/ACR/HPS statement, 2021, endorsed by Image Wisely). "
                "This report is information for the patient and the clinician; it is not a warning "
                "that an exam should not be done."),
    ]
    return paragraphs


DRL_EXPLANATION = N_(
    "Diagnostic reference levels (DRLs) are set for typical exams of standard-sized adults to "
    "help hospitals optimise practice. A single exam above a DRL is not an error and not a sign "
    "of harm: larger patients and more complex exams need more dose. Flags are listed for the "
    "clinician's and the radiology department's information."
)


def summary_lines(patient, with_estimate: int, non_ionising: int, non_ionising_kinds: str, left_out: int,
                  background_msv_per_year: float) -> list[tuple[str, str]]:
    """The PDF summary's sentences as ``(bold head, rest)`` pairs (the head may be ``""``).

    Parameters
    ----------
    patient : PatientSummary
        Totals, exam count and period.
    with_estimate, non_ionising : int
        Counted exams with an estimate, and of those without ionising radiation.
    non_ionising_kinds : str
        What those were (``"MRI, ultrasound"``).
    left_out : int
        Exams not counted in the total.
    background_msv_per_year : float
        Natural background for the comparison.

    Returns
    -------
    list of (str, str)
    """
    first = ngettext("{exams} in the history; {n} with a dose estimate",
                     "{exams} in the history; {n} with a dose estimate",
                     with_estimate).format(exams=plural(patient.exam_count, gettext("exam"), gettext("exams")),
                                           n=fmt_integer(with_estimate))
    if non_ionising:
        first += gettext(" (of which {n} without ionising radiation: {kinds})").format(
            n=fmt_integer(non_ionising), kinds=non_ionising_kinds)
    lines = [("", first + ".")]
    without = patient.exams_without_dose_estimate
    if without:
        lines.append((plural(without, gettext("exam without a dose estimate"),
                             gettext("exams without a dose estimate")),
                      gettext(": their dose is unknown and not included in the total.")))
    elif patient.exam_count:
        lines.append(("", gettext("Every exam has a dose estimate (exams without a dose estimate: 0).")))
    if left_out:
        lines.append((plural(left_out, gettext("exam not counted in the total"),
                             gettext("exams not counted in the total")),
                      gettext(" (probable QA/phantom or test scans, not of a person, or left out by the user); "
                              "they are listed below.")))
    total = patient.cumulative_effective_dose_msv
    if total is not None and total > 0:
        lines.append(("", gettext("The total equals {background} of natural background radiation "
                                  "({rate}\u00a0mSv per year).").format(
            background=background_equivalent(total, background_msv_per_year),
            rate=fmt_setting(background_msv_per_year))))
    if patient.first_exam_date:
        lines.append(("", gettext("Period: {first} to {last}.").format(
            first=patient.first_exam_date, last=patient.last_exam_date or patient.first_exam_date)))
    return lines
