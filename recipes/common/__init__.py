"""Flavors that need no infrastructure, offered on every cloud (alerters, step operators,
data validators).

Kept import-free: the catalog imports ``flavors`` without loading Pulumi.
"""
