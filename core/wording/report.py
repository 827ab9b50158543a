"""The PDF report's explanation of effective dose (plain text; the PDF joins numbers to units).

It follows the project's reference notes (``/work/shared/reference/context.md``):
effective dose is a population quantity for a reference person, not a personal
risk; imaging decisions rest on clinical grounds; natural background is about
2.4 mSv per year.
"""
from __future__ import annotations

from .kinds import N_
from .locale_format import gettext
from .numbers import fmt_setting


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
