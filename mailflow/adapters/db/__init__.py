"""SQL storage: SQLAlchemy tables, the SqlStore adapter and its Alembic migrations."""

from mailflow.adapters.db.store import SqlStore, SqlTx

__all__ = ["SqlStore", "SqlTx"]
