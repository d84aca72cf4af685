"""Streamlit-side helpers (the only package of ``monitoring`` that imports Streamlit)."""
