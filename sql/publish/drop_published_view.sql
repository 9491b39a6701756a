-- A view of the published copy, replaced by a table of its rows (materialize_view.sql).
-- __view__ is the view's quoted schema.name from working_views.sql.
drop view published.__view__;  -- noqa: PRS
