"""Hypothesis strategies for hostile mention text and arbitrary JSON-like rows."""

from __future__ import annotations

from hypothesis import strategies as st

#: Characters that break naive pipelines: zero-width, bidi overrides, controls, emoji, NUL.
NASTY = ["\u200b", "\u200d", "\ufeff", "\u202e", "\u2066", "\x00", "\x1b[31m", "\r", "\t",
         "😡", "👩‍👩‍👧", "🇮🇹", "<script>alert(1)</script>", "[x](javascript:alert(1))",
         "'; DROP TABLE mentions; --", "@LumeaEnergia", "#lumea", "bolletta", "IT60X0542811101000000123456",
         "4111 1111 1111 1111", "mario.rossi@example.com", "+39 333 123 4567", "\ud7ff", "é", "ß"]

hostile_text = st.lists(st.one_of(st.text(max_size=40), st.sampled_from(NASTY)),
                        max_size=30).map("".join)

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                        st.text(max_size=30), hostile_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10)
