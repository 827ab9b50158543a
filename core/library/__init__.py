"""The library: the ``Library`` facade (:mod:`.facade`), its queries (:mod:`.summaries`, :mod:`.files`),
its import reports, the demo library and the ``LibraryAPI`` protocol the GUI codes against."""
