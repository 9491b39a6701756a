-- The migrations already applied, with the checksum each had then.
select
    version,
    checksum
from ops.schema_migrations
