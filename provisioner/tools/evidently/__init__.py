"""Evidently: drift and data quality reports (the ``evidently`` data validator)."""
