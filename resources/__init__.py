"""Data files shipped with DoseTrail (installed as ``dosetrail.resources``).

``demo/demo-studies.zip``: the synthetic demo library (see
``demo/build_demo.py`` and :mod:`dosetrail.core.library.demo`).
"""
