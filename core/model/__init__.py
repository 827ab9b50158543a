"""Plain data classes shared across layers: import records (:mod:`.import_records`), a patient's
history as the facade returns it (:mod:`.history`) and the library's own faults (:mod:`.library_errors`)."""
