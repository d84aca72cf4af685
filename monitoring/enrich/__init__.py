"""Enrichment of mentions: language, sentiment, category, department, personal data."""
