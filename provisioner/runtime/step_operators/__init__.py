"""Step operator implementations, one module per kind (the interface is in runtime/components)."""
