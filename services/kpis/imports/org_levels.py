"""The org level of a row aggregated by ``GROUPING SETS`` over (team) and (worker): the
team's code, the worker's staff code, or the authority (``:authority``) for the set
without either."""

ORG = """CASE WHEN grouping(team) = 0 THEN team
               WHEN grouping(worker) = 0 THEN worker ELSE :authority END"""
