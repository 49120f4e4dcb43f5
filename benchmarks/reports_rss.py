"""chainx's own memory: a fresh process opens a loaded store, runs the reports users ask for on a
national graph (every cheap centrality and sampled betweenness on both big projections, gaps for
a region, bottlenecks, the ego view of the busiest supplier) and prints its peak RSS as JSON.

    python -m benchmarks.reports_rss STORE REGION
"""

from __future__ import annotations

import json
import resource
import sys
from collections import Counter


def main(argv: list[str] | None = None) -> int:
    store_uri, region = (argv or sys.argv[1:])[:2]
    from graph.analysis.bottlenecks import bottlenecks
    from graph.analysis.centrality import centrality
    from graph.analysis.gaps import gaps
    from graph.store import open_store
    from graph.views_data import ego_view

    store = open_store(store_uri)
    for graph in ("supply", "all"):
        for metric in ("degree", "pagerank", "eigenvector", "core"):
            centrality(store, metric, graph)
        centrality(store, "betweenness", graph, k=256, seed=1)
    gaps(store, region)
    bottlenecks(store)
    supply = store.projection_columns(["Enterprise"], ["SUPPLIES"])
    if len(supply.source):
        ego_view(store, supply.ids[Counter(supply.source.tolist()).most_common(1)[0][0]], depth=2)
    print(json.dumps({"peak_rss_mb": round(peak_rss_kib() / 1024, 1)}))
    return 0


def peak_rss_kib() -> int:
    """This process's peak RSS. Linux keeps getrusage's ru_maxrss across exec, so a process
    started by a big one would report its parent's peak; /proc's VmHWM is this program's own."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    sys.exit(main())
