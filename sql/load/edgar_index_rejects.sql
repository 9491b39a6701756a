-- The lines of an index file the CSV reader rejected (its rejects table, edgar_rejects): the
-- first error of each line.
select
    line,
    min(error_type) as error_type,
    min(error_message) as error_message
from edgar_rejects
group by line
