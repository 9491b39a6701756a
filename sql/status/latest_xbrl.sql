-- The latest filing date of stored XBRL facts.
select max(filed) from raw.xbrl_facts
