-- A company that loaded, or has no XBRL data, this run (fetch_outcomes) leaves the back-off.
delete from raw.xbrl_fetch_backoff
where cik in (
    select cik
    from fetch_outcomes
    where not failed
)
