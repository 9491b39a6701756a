-- Upsert Shiller's months (registered as shiller_batch); parameters: fetched_at, run_id.
insert into raw.shiller_monthly (
    month, price, dividend, earnings, cpi, gs10, cape, tr_cape, file, source, fetched_at, run_id
)
select
    cast(month as date),
    price,
    dividend,
    earnings,
    cpi,
    gs10,
    cape,
    tr_cape,
    file,
    source,
    $1::timestamptz,
    $2
from shiller_batch
on conflict (month) do update
    set
        price = excluded.price,
        dividend = excluded.dividend,
        earnings = excluded.earnings,
        cpi = excluded.cpi,
        gs10 = excluded.gs10,
        cape = excluded.cape,
        tr_cape = excluded.tr_cape,
        file = excluded.file,
        source = excluded.source,
        fetched_at = excluded.fetched_at,
        run_id = excluded.run_id
