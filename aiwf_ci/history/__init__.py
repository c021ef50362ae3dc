"""The base branch's history of results: change points over a metric's trend."""
