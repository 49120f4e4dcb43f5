"""Fixed positions for big networks, so a page settles at once instead of running physics.

Only geometry: which nodes belong together comes from the payload (rings of an ego network,
communities, regions), computed in graph/.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["rings", "clusters", "BIG"]

# Above this many nodes a view switches physics off and uses these positions.
BIG = 300

_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def rings(groups: Sequence[Sequence[str]], *, spacing: float = 28.0) -> dict[str, tuple[float, float]]:
    """Group k on a circle around the centre, circles far enough apart to hold their nodes.

    >>> rings([["c"], ["a", "b"]])["c"]
    (0.0, 0.0)
    """
    positions: dict[str, tuple[float, float]] = {}
    radius = 0.0
    for index, group in enumerate(groups):
        if not group:
            continue
        if index == 0 and len(group) == 1:
            positions[group[0]] = (0.0, 0.0)
            continue
        # the circumference must fit the group; and each ring lies well outside the last
        radius = max(radius + 6 * spacing, len(group) * spacing / (2 * math.pi))
        for i, node in enumerate(group):
            angle = 2 * math.pi * i / len(group)
            positions[node] = (round(radius * math.cos(angle), 1), round(radius * math.sin(angle), 1))
    return positions


def clusters(groups: Sequence[Sequence[str]], *, spacing: float = 30.0) -> dict[str, tuple[float, float]]:
    """Each group as a disc (a sunflower pattern), the discs side by side in rows.

    >>> sorted(clusters([["a", "b"], ["c"]]))
    ['a', 'b', 'c']
    """
    positions: dict[str, tuple[float, float]] = {}
    discs = [(group, spacing * (math.sqrt(len(group)) + 1)) for group in groups if group]
    total_area = sum((2 * r) ** 2 for _, r in discs) or 1.0
    row_width = max(math.sqrt(total_area) * 1.6, max((2 * r for _, r in discs), default=0))
    x = y = row_height = 0.0
    for group, radius in discs:
        if x > 0 and x + 2 * radius > row_width:
            x, y, row_height = 0.0, y + row_height + spacing, 0.0
        cx, cy = x + radius, y + radius
        for i, node in enumerate(group):
            r = spacing * math.sqrt(i)
            angle = i * _GOLDEN_ANGLE
            positions[node] = (round(cx + r * math.cos(angle), 1), round(cy + r * math.sin(angle), 1))
        x += 2 * radius + spacing
        row_height = max(row_height, 2 * radius)
    return positions
