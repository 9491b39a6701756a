-- The database in use, to return to after building in the scratch database.
select current_database()
