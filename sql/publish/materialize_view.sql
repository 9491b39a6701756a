-- The view's rows at publish time, as a table of the same name in the published copy.
-- __view__ is the view's quoted schema.name from working_views.sql.
create table published.__view__ as  -- noqa: PRS
select * from working.__view__;  -- noqa: PRS
