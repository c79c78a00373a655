"""Tests of the third-party tool clients (provisioner.tools)."""
