"""Storage shared by the API and the record-keeping activity: SQLAlchemy models,
engine/session factory and the embedded PostgreSQL for a fresh machine."""
