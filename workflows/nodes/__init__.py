"""One module per node type: its config model and its NodeType (name, schema,
defaults, privileges, where it sends secrets). Metadata only, free of I/O
imports: the API, the compiler and the CLI read it, and the worker pairs each
activity-run type with its handler in activities/. The full list is
workflows/registry.py."""
