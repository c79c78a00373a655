"""Flavors that need no cloud infrastructure, offered on every cloud (alerters)."""
