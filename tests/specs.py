"""Small specs shared by the tests."""

#: The smallest valid spec: every optional section left to its defaults.
MINIMAL = """\
[contract]
name = "Minimal"
start_date = 2020-01-01
length_months = 12

[cohorts]
entrants_per_period = 100

[[population.bands]]
name = "all"
share = 1.0
binary_rate = 0.4
reoffences_per_reoffender = 3.0
"""
