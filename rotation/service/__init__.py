"""The service layer: the use cases the command line (and later the web) calls.

Each returns results and leaves the printing to its caller: planning.py (plan), checking.py
(explain, check, advance), workbooks.py (template, validate, generate), demo.py, scenarios.py,
history.py (a district across approved years: statistics, national export, certificates).
"""
