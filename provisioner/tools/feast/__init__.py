"""Feast: the ``feast`` feature store, local (sqlite) and on AWS (DynamoDB)."""
