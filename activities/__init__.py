"""Every side effect of the platform: one module per node type, record keeping,
and the registry mapping node type -> activity."""
