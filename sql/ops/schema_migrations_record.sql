-- One applied migration ($1 version, $2 name, $3 checksum); runs in the migration's own
-- transaction.
insert into ops.schema_migrations (version, name, checksum) values ($1, $2, $3)
