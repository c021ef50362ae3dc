"""The base branch's history of results: change points over a metric's trend.

Modules:
    trend         one series per benchmark metric over the last push runs; pooled baselines
    changepoints  change points in a series, with their size and confidence
    segments      two-segment statistics: summaries, Student and Welch t
    tdist         Student's t distribution in pure Python
    bisection     which commit to measure next when looking for the first bad one
"""
