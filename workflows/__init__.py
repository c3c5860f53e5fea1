"""Deterministic code only: the graph DSL, its validation and compiler, and the
GraphWorkflow interpreter. Nothing here does I/O or reads the clock."""
