"""Reusable Panel components (param-driven Viewers) for Routing Studio; each works alone in Jupyter."""
