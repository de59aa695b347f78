-- One row that the readiness probe rewrites (sqlstore.DB.ProbeWrite): a
-- database that answers reads but cannot write (a full disk, a read-only
-- file or server) is then reported as not ready.
CREATE TABLE write_probe (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);
