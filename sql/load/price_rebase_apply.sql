-- Multiply stored adjusted closes by their re-basing factor (registered as `stored_factors`:
-- symbol, date, factor). adj_close_received keeps what the vendor said.
update raw.prices as p
set adj_close = p.adj_close * f.factor
from stored_factors as f
where p.symbol = f.symbol and p.date = f.date
