"""The figures the adversarial suite reports, and how the runs of several workers add up.

Each part records what it measured in :data:`FIGURES` (through the ``figures`` fixture of
tests/adversarial/conftest.py); the terminal summary (tests/conftest.py) prints them as one line
and writes them to tests/artifacts/adversarial.json. A part that failed half-way reports what it
measured before it failed. Under pytest-xdist each worker fills its own and hands it to the
controller, which adds them up (:func:`merge_figures`).
"""

from __future__ import annotations

from pathlib import Path

ARTIFACT = Path(__file__).resolve().parent.parent / "artifacts" / "adversarial.json"

# part → {figure: value}; filled by the tests, printed by pytest_terminal_summary
FIGURES: dict[str, dict] = {}


def summary_line(figures: dict[str, dict]) -> str:
    """The figures as one line, in the order of the issue."""
    parts = []
    if c := figures.get("corpus"):
        part = f"{c['bad_inputs']} bad inputs, {c['rejected_clearly']} rejected clearly, {c['changed_store']} changed the store"
        if "valid_inputs" in c:
            part += f" ({c['accepted_correctly']} of {c['valid_inputs']} valid variants accepted correctly)"
        parts.append(part)
    if c := figures.get("crash"):
        parts.append(f"{c['kills']} kills, {c['inconsistent']} inconsistent stores")
    if c := figures.get("concurrency"):
        part = f"concurrent loads: {c['loads']}, {c['corrupt']} corrupt"
        if c.get("reads"):  # measured only where reads under replace ran
            part += f"; reads under replace: {c['reads']}, {c['mixed']} mixed"
        parts.append(part)
    if c := figures.get("fuzzing"):
        parts.append(
            f"fuzzing: {c['requests']} requests over {len(c['operations'])} operations, {c['server_errors']} 5xx, "
            f"{c['schema_violations']} schema violations"
        )
    if c := figures.get("injection"):
        parts.append(f"injection: {c['strings']} strings, {c['changed_graph']} changed the graph, {c['not_round_tripped']} not round-tripped")
    if c := figures.get("xss"):
        parts.append(f"XSS: {c['payloads']} payloads over {c['pages']} page loads, {c['executed']} executed")
    if c := figures.get("outages"):
        parts.append(
            f"outages: {c['outages']} outages, {c['refused_clearly']} of {c['refusals']} requests refused clearly, "
            f"{c['partial_writes']} partial writes, {c['recovered']} of {c['recoveries']} recovered"
        )
    if c := figures.get("limits"):
        parts.append(f"limits: {c['enforced']} of {c['checked']} enforced")
    if c := figures.get("write_protection"):
        parts.append(
            f"write protection: {c['endpoints']} endpoints checked ({c['writes']} writes), {c['open']} open; "
            f"{c['reads_open']} reads open without a key"
        )
    if c := figures.get("load"):
        parts.append(f"load: {c['costly']} costly requests at once on {c['relationships']:,} relationships, {c['server_errors']} 5xx, "
                     f"{c['refused']} refused, /health p99 {c['health_p99_ms']} ms over {c['health']} requests")
    if c := figures.get("round_two"):
        # the classes of issue 15, each as held of tried (refused clearly or made harmless)
        parts.append("round two: " + ", ".join(f"{kind} {n['held']} of {n['tried']} held" for kind, n in c.items()))
    return "adversarial: " + "; ".join(parts)


def merge_figures(into: dict[str, dict], part_figures: dict[str, dict]) -> None:
    """Add one pytest-xdist worker's figures to ``into``. A part's figures come from one file (a
    worker runs whole files: ``--dist loadfile``), except ``concurrency``, counted by two files:
    counts add up, anything else is the same on both sides or only on one.

    >>> figures = {"concurrency": {"loads": 16, "reads": 0}}
    >>> merge_figures(figures, {"concurrency": {"loads": 0, "reads": 79}, "crash": {"kills": 24}})
    >>> figures
    {'concurrency': {'loads': 16, 'reads': 79}, 'crash': {'kills': 24}}
    """
    for part, values in part_figures.items():
        mine = into.setdefault(part, {})
        for key, value in values.items():
            if key in mine and isinstance(value, int) and not isinstance(value, bool) and isinstance(mine[key], int):
                mine[key] += value
            elif key in mine and isinstance(value, dict) and isinstance(mine[key], dict):
                merge_figures(mine, {key: value})
            else:
                mine.setdefault(key, value)
