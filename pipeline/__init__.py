"""The run's stages as plain functions: fetch, validate and load each source, build, alert, report.

No Prefect here (``flows/`` wraps these functions in tasks and flows, and a test reading the
imports keeps it so): each stage takes a database path, the settings and plain values, so tests
call it directly and a flow reads like the list of its stages.
"""
