"""Command-line tools: `agentic run|validate` and the one-command dev stack."""
