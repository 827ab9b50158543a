"""The exports' indenting encoder gives exactly ``json.dumps(indent=2, ensure_ascii=False)``'s bytes."""
from __future__ import annotations

import json
from collections import OrderedDict

from hypothesis import given, settings, strategies as st

from dosetrail.core.export.stream import indented

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_keys = st.text(max_size=6) | st.integers() | st.floats(allow_nan=False) | st.booleans()
_docs = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                     | st.dictionaries(_keys, inner, max_size=4), max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(_docs)
def test_any_document_gives_json_dumps_bytes(doc):
    assert indented(doc) == json.dumps(doc, ensure_ascii=False, indent=2)


def test_subclasses_and_the_indent_of_nested_items():
    class Text(str):
        pass

    doc = OrderedDict([("a", Text("é")), ("b", [{"c": (1, [])}, {}]), ("d", {"e": {"f": [1.5, None]}})])
    assert indented(doc) == json.dumps(doc, ensure_ascii=False, indent=2)
    assert indented(doc, "    ") == json.dumps(doc, ensure_ascii=False, indent=2).replace("\n", "\n    ")
