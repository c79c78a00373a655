"""Alerter implementations, one module per tool (the interface is in runtime/components)."""
