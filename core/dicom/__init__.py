"""DICOM vocabulary: the one home of the rules every layer shares.

Pure Python (no I/O, no SQL, no Qt), importable from every layer:

- :mod:`.dates`: DA/TM/DT values and the ISO forms the library stores (one
  parser; an impossible date such as ``20230231`` is unknown, with a warning);
- :mod:`.names`: person names (PN), their matching key and their folding for search;
- :mod:`.modalities`: modality codes and what they mean (ionising, projection,
  nuclear medicine, documents);
- :mod:`.codes`: coding scheme designators and their generations (SRT, SNM3,
  99SDM, SCT).
"""
