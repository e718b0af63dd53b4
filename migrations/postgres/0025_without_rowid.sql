-- migrations/0025_without_rowid.sql stores three tables without SQLite's rowid. PostgreSQL keeps a
-- table's rows apart from its indexes whatever the key, so there is nothing to change here.
SELECT 1;
