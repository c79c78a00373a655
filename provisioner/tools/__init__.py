"""Runtime clients of third-party tools, one folder per tool (each imports its SDK lazily)."""
