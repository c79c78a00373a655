"""Orchestrators: who runs a pipeline's steps, and where."""
