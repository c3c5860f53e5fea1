"""The REST facade: CRUD over PostgreSQL, start/query/cancel over Temporal."""
