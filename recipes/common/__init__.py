"""Flavors that need no infrastructure, offered on every cloud (the data validators).

Kept import-free: the catalog imports ``flavors`` without loading Pulumi.
"""
