"""The district split into independent parts, and the order in which to start them.

Groups are independent unless a 托管 pair links them, so each connected component of groups is
its own small model; solve(), the horizon and the HiGHS peer all split the district this way.
"""

from __future__ import annotations

from models.district import District


def components(district: District) -> list[list[str]]:
    """Groups joined by 托管 pairs, as connected components, in input order."""
    parent = {g.group_id: g.group_id for g in district.groups}

    def find(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for e in district.entrusted:
        a = find(district.school(e.supporting_school_id).group_id)
        b = find(district.school(e.aided_school_id).group_id)
        if a != b:
            parent[max(a, b)] = min(a, b)
    result: dict[str, list[str]] = {}
    for g in district.groups:
        result.setdefault(find(g.group_id), []).append(g.group_id)
    return list(result.values())


def largest_first(district: District, parts: list[list[str]]) -> list[int]:
    """Component indices, biggest model first (eligible teachers × schools), so that no big
    model starts last and leaves one core idle at the end; ties keep input order."""
    eligible: dict[str, int] = {}
    for t in district.eligible_teachers():
        gid = district.status(t.teacher_id).group_id
        eligible[gid] = eligible.get(gid, 0) + 1
    size = [
        sum(eligible.get(g, 0) for g in part) * sum(len(district.schools_of(g)) for g in part)
        for part in parts
    ]
    return sorted(range(len(parts)), key=lambda i: -size[i])
