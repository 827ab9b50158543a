"""Import sources: where candidate DICOM files come from.

The import pipeline calls :func:`dosetrail.core.sources.discover.iter_source`
for each path or link the user gives; it yields the events described in
:mod:`dosetrail.core.sources.base`. :func:`dosetrail.core.sources.media.list_removable_media`
lists mounted CDs and USB sticks that hold DICOM.

Modules: ``folder`` (recursive folder scan with cheap skips), ``dicomdir``
(DICOMDIR media), ``archive`` (ZIP, nested, zip-bomb limits), ``zip_recover``
(truncated ZIPs), ``gzip_source``, ``link`` (http(s) downloads), ``media``,
``skip_rules`` (what is clearly not DICOM, by name) and ``limits``.
"""
