"""Persistence: SQLModel tables, the database engine and migrations."""
