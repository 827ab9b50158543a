"""Reading DICOM files below the dose layer: fast raw header values (:mod:`.raw_values`)."""
