-- How the loader judged each seam between a new price download and the stored history, when
-- their adjusted closes disagreed over the sessions both hold (sources/price_store.py).
--
-- The ratio new/stored adjusted close over the overlap is constant after a clean basis change
-- (a dividend since the stored rows were fetched). When it steps, one side mixes bases; each
-- side's day-to-day adjusted returns at the step are compared with the raw closes' return:
-- the side that departs from it broke there. decision says what the loader did:
--   basis_change   one constant ratio: stored rows outside the batch re-based by it
--   stored_mixed   the stored side broke: the batch replaces the overlap, every other stored
--                  row is re-based by the ratio of the stretch it sits in
--   batch_mixed    the batch broke: its older stretches are brought onto its latest basis
--                  before loading, then stored rows are re-based to that basis
--   undecided      both or neither broke, or no raw closes to judge by: the batch replaces
--                  the overlap, the rest is re-based as for stored_mixed, and an incident
--                  is recorded
create table if not exists ops.price_seams (
    run_id varchar not null,
    symbol varchar not null,
    overlap_rows bigint not null,
    basis_steps integer not null,       -- steps in the new/stored ratio over the overlap
    stored_breaks integer not null,     -- steps at which the stored side departs from raw closes
    batch_breaks integer not null,      -- steps at which the batch departs from raw closes
    decision varchar not null,          -- basis_change | stored_mixed | batch_mixed | undecided
    factor double not null,             -- latest new/stored ratio: the basis stored rows move to
    evidence json not null,             -- per step: date, ratios and the three returns
    judged_at timestamptz not null default now()
);
