"""The domain: pydantic models of the bureau's data, policy parameters and solver-free checks.

Imports neither OR-Tools nor pandas: everything here can be used by an auditor's script.
"""

from models.district import District, TeacherStatus
from models.entities import (
    ROW_MODELS,
    SHOWN_ROW_MODELS,
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
from models.policy import Policy, PolicySet, PolicyValueError
from models.problems import InputError, Problem

__all__ = [
    "ROW_MODELS",
    "SHOWN_ROW_MODELS",
    "Demand",
    "District",
    "EntrustedPair",
    "Group",
    "InputError",
    "ItinerantDemand",
    "OngoingRotation",
    "Pin",
    "Policy",
    "PolicySet",
    "PolicyValueError",
    "Problem",
    "Row",
    "School",
    "Teacher",
    "TeacherStatus",
]
