"""Annotator clients, one module per tool."""
