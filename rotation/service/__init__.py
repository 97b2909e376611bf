"""The service layer: the use cases the command line and the web call.

Each returns results and leaves the printing to its caller: planning.py (plan), checking.py
(explain, check), advancing.py (advance), workbooks.py (template, validate, generate), demo.py,
scenarios.py, backup.py (backup, restore of the records), history.py (a district across approved years:
statistics, national export, certificates); for the web: store.py (the data folder and its
records), uploads.py, jobs.py, review.py, accounts.py, audit.py, procedure.py (approval steps,
a teacher's history), years.py (the next school year from an approved plan).
"""
