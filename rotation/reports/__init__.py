"""Reports for people: the approval workbook (审批表), validate's summary, scenario comparison."""
