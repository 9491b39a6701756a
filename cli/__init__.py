"""The ``rotation`` command: parsing, dispatch, and the read-only commands (status, query, shell,
demo). The top of the tree: it starts flows, and its read-only commands import neither Prefect
nor Great Expectations, so they answer in well under a second.
"""
