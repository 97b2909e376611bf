"""The input tables, declared once for the reader and the writer: which District field holds
each sheet's rows, which sheets a workbook cannot do without, and which text a spreadsheet
would take for a formula (the writer guards it, the reader undoes the CSV guard)."""

from __future__ import annotations

from models import (
    Demand,
    EntrustedPair,
    Group,
    ItinerantDemand,
    OngoingRotation,
    Pin,
    Row,
    School,
    Teacher,
)

#: The District field holding each input sheet's rows.
TABLES: dict[type[Row], str] = {
    Group: "groups",
    School: "schools",
    Teacher: "teachers",
    OngoingRotation: "ongoing",
    Demand: "demand",
    EntrustedPair: "entrusted",
    Pin: "pins",
    ItinerantDemand: "itinerant_demand",
}

#: Sheets every input must have; the others may be missing.
REQUIRED_SHEETS = (Group.SHEET, School.SHEET, Teacher.SHEET)

_RISKY_START = ("=", "+", "-", "@")


def is_formula_like(text: str) -> bool:
    """Text a spreadsheet could take for a formula: = + - @ first (after spaces), or tab/CR."""
    if text[:1] in ("\t", "\r"):
        return True
    return text.lstrip()[:1] in _RISKY_START
