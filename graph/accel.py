"""Centralities of large graphs from edge arrays, with NetworkX's numbers.

NetworkX is the reference: every function here returns what NetworkX's own function returns on
the same graph, to floating-point rounding (the tests in ``tests/graph/test_accel.py`` hold them
to 1e-9 on random directed and undirected graphs with isolates, self-loops and several
components). Only the arithmetic moves: the shortest-path measures run in igraph's C core, the
iterative ones run NetworkX's own power iteration on a SciPy sparse matrix, and degrees are counted
with NumPy. Where igraph defines a measure differently from NetworkX, the difference is undone
here:

===========  ===========================================  =========================================
metric       computed by                                  NetworkX's definition kept
===========  ===========================================  =========================================
degree,      ``np.bincount``                              degree × 1/(n−1); every value 1 when n ≤ 1;
in/out                                                    a self-loop adds 2 to the degree
betweenness  igraph ``betweenness`` (``sources=`` the     ordered-pair sums (igraph halves undirected
             sample)                                      ones); NetworkX's ``_rescale``, including
                                                          its separate scale for sampled sources
                                                          (NaN when k = 1); sample drawn as NetworkX
                                                          does: ``create_py_random_state(seed)
                                                          .sample(list(G), k)``
closeness    igraph ``closeness`` (incoming distance      Wasserman–Faust ``wf_improved`` scaling:
             on directed graphs); r from components,      (r−1)/S · (r−1)/(n−1) with r the nodes
             or on directed graphs from the               reached; 0 where nothing is reached
             condensation (bit sets of upstream SCCs)
harmonic     igraph ``harmonic_centrality``, not          sum of 1/d over incoming distances
             normalised
pagerank     NetworkX's ``_pagerank_scipy`` iteration     same matrix, start, dangling handling,
             on a CSR matrix built from the arrays        personalisation, tolerance and stop rule
eigenvector  NetworkX's power iteration on (A + I)ᵀ       start 1/n, Euclidean normalisation, stop
                                                          when the L1 change < n·tol (in-edges on
                                                          directed graphs: the left eigenvector)
core         igraph ``coreness`` (in + out degree)        refuses self-loops as NetworkX does
===========  ===========================================  =========================================

A graph is given either as a NetworkX graph or as :class:`Arrays`: node keys in NetworkX's node
order and one entry per edge of the *simple* graph (parallel relationships already collapsed,
their weights summed; an undirected edge once, either way round). Node order matters only to
sampled betweenness, which draws its sources from that list as NetworkX draws them from
``list(G)``.

Below :data:`MIN_SIZE` nodes plus edges NetworkX itself is quicker than building the arrays and
the igraph graph: :func:`worth_accelerating` says which side of it a graph is on, and callers keep
NetworkX for the small side.

>>> import networkx as nx
>>> G = nx.path_graph(4)
>>> compute(G, "betweenness") == nx.betweenness_centrality(G)
True
>>> arrays = from_edges(["a", "b", "c"], [0, 1], [1, 2], directed=True)
>>> compute(arrays, "in_degree")
{'a': 0.0, 'b': 0.5, 'c': 0.5}
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sparse

from graph.errors import InvalidParameter, WorkerLost

__all__ = [
    "Arrays",
    "METRICS",
    "MIN_SIZE",
    "EIGENVECTOR_MAX_ITER",
    "from_networkx",
    "from_edges",
    "worth_accelerating",
    "estimate_seconds",
    "compute",
    "engine",
    "degree_centrality",
    "betweenness_centrality",
    "closeness_centrality",
    "harmonic_centrality",
    "pagerank",
    "eigenvector_centrality",
    "eigenvector_iterations",
    "core_number",
    "sample_sources",
    "THREADS_ENV",
    "PARALLEL_METRICS",
    "available_threads",
    "threads",
    "threads_used",
    "affordable_sources",
]

METRICS: tuple[str, ...] = ("degree", "in_degree", "out_degree", "betweenness", "closeness", "harmonic", "pagerank", "eigenvector", "core")
# Measured on these machines (benchmarks/run.py): below about this many nodes + edges, NetworkX
# answers in a few milliseconds and converting to arrays and igraph costs as much as it saves.
MIN_SIZE = 2_000
EIGENVECTOR_MAX_ITER = 1000  # as graph.analysis.centrality asks of NetworkX


@dataclass(frozen=True, eq=False)
class Arrays:
    """A simple graph as arrays: ``ids[i]`` is node i; edge j runs ``src[j]`` → ``dst[j]``.

    ``weight`` is the edge weight (None: every edge weighs 1). Build one with
    :func:`from_edges` (which collapses parallel edges) or :func:`from_networkx`.
    """

    ids: Sequence[Hashable]
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray | None
    directed: bool

    # Duck-typed like a NetworkX graph where the centrality code asks about size and direction.
    def number_of_nodes(self) -> int:
        return len(self.ids)

    def number_of_edges(self) -> int:
        return len(self.src)

    def is_directed(self) -> bool:
        return self.directed

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self):
        return iter(self.ids)

    @cached_property
    def index(self) -> dict:
        return {node: i for i, node in enumerate(self.ids)}

    @cached_property
    def igraph(self):
        """The same graph in igraph (built once per Arrays)."""
        import igraph

        # as a list of pairs: igraph reads a NumPy array of edges element by element, three times
        # slower, and a list of lists costs twice what pairs zipped from two flat lists do
        edges = list(zip(self.src.tolist(), self.dst.tolist()))
        return igraph.Graph(n=len(self.ids), edges=edges, directed=self.directed)

    @cached_property
    def has_selfloops(self) -> bool:
        return bool(np.any(self.src == self.dst))

    def to_networkx(self) -> nx.Graph:
        """The same graph in NetworkX: nodes in ``ids`` order, edges with their ``weight``."""
        G = nx.DiGraph() if self.directed else nx.Graph()
        G.add_nodes_from(self.ids)
        weights = self.weight.tolist() if self.weight is not None else [1.0] * len(self.src)
        ids = self.ids
        G.add_edges_from((ids[u], ids[v], {"weight": w}) for u, v, w in zip(self.src.tolist(), self.dst.tolist(), weights))
        return G


def from_edges(ids: Sequence[Hashable], src, dst, weight=None, *, directed: bool) -> Arrays:
    """Arrays of the simple graph on nodes ``ids`` with edges ``src[j]`` → ``dst[j]`` (indices).

    Repeated edges collapse into one whose weight is the sum of theirs (on an undirected graph
    ``(u, v)`` and ``(v, u)`` are the same edge), as a NetworkX projection adds them up. The
    edges keep the order in which each first appears.

    >>> a = from_edges(["x", "y"], [0, 1, 0], [1, 0, 1], [1.0, 2.0, 4.0], directed=False)
    >>> a.src.tolist(), a.dst.tolist(), a.weight.tolist()
    ([0], [1], [7.0])
    """
    n = len(ids)
    src = np.asarray(src, dtype=np.int64).reshape(-1)
    dst = np.asarray(dst, dtype=np.int64).reshape(-1)
    if len(src) != len(dst):
        raise ValueError("src and dst must have the same length")
    if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise ValueError("edge endpoints must be indices into ids")
    w = None if weight is None else np.asarray(weight, dtype=np.float64).reshape(-1)
    if w is not None and len(w) != len(src):
        raise ValueError("weight must have one value per edge")
    if directed:
        a, b = src, dst
    else:
        a, b = np.minimum(src, dst), np.maximum(src, dst)
    code = a * max(n, 1) + b
    uniq, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    if len(uniq) == len(code):
        return Arrays(list(ids), src, dst, w, directed)
    order = np.argsort(first, kind="stable")  # keep first-appearance order, as NetworkX would
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    keep = first[order]
    summed = None
    if w is not None:
        summed = np.zeros(len(uniq))
        np.add.at(summed, rank[inverse.reshape(-1)], w)
    return Arrays(list(ids), src[keep], dst[keep], summed, directed)


def from_networkx(G: nx.Graph, weight: str | None = "weight") -> Arrays:
    """Arrays of the NetworkX graph ``G`` (a Graph or DiGraph; nodes in ``G``'s order).

    Edges without the ``weight`` attribute weigh 1, as in NetworkX's matrix functions.
    """
    if G.is_multigraph():
        raise nx.NetworkXNotImplemented("multigraphs are not supported; collapse parallel edges first")
    ids = list(G)
    index = {node: i for i, node in enumerate(ids)}
    m = G.number_of_edges()
    src = np.fromiter((index[u] for u, _ in G.edges()), dtype=np.int64, count=m)
    dst = np.fromiter((index[v] for _, v in G.edges()), dtype=np.int64, count=m)
    w = None
    if weight is not None:
        w = np.fromiter((d.get(weight, 1) for _, _, d in G.edges(data=True)), dtype=np.float64, count=m)
    return Arrays(ids, src, dst, w, G.is_directed())


def _arrays(graph) -> Arrays:
    if isinstance(graph, Arrays):
        return graph
    arrays = getattr(graph, "arrays", None)  # a fast projection carries its Arrays
    if isinstance(arrays, Arrays):
        return arrays
    if isinstance(graph, nx.Graph):
        return from_networkx(graph)
    raise TypeError(f"expected a NetworkX graph or graph.accel.Arrays, not {type(graph).__name__}")


def worth_accelerating(graph, min_size: int | None = None) -> bool:
    """Whether ``graph`` is big enough (nodes + edges ≥ ``min_size``, default :data:`MIN_SIZE`)
    for the compiled path to beat NetworkX itself."""
    limit = MIN_SIZE if min_size is None else min_size
    return graph.number_of_nodes() + graph.number_of_edges() >= limit


# Work of the shortest-path measures, in sources × (nodes + edges) of the component searched, per
# CPU second of igraph on one core of the 2-core reference machine: the lower of what
# benchmarks/run.py measured on the supply and all projections at 100k relationships, halved
# to stay cautious (betweenness 5.5e7–9e7, closeness and harmonic 1.7e8–2.2e8).
_WORK_PER_SECOND = {"betweenness": 3e7, "closeness": 1e8, "harmonic": 1e8}


def _single_seconds(a: Arrays, metric: str, k: int | None) -> float:
    rate = _WORK_PER_SECOND.get(metric)
    n = len(a.ids)
    if rate is None or n == 0:
        return 0.0
    membership = np.asarray(a.igraph.connected_components(mode="weak").membership)
    nodes = np.bincount(membership).astype(np.float64)
    edges = np.bincount(membership[a.src], minlength=len(nodes)).astype(np.float64)
    work = float((nodes * (nodes + edges)).sum())
    if metric == "betweenness" and k is not None:
        work *= min(k, n) / n
    return work / rate


def estimate_seconds(graph, metric: str, k: int | None = None) -> float:
    """Roughly how long :func:`compute` takes for ``metric`` (0 for the cheap metrics), on the
    :func:`threads` it will use.

    A search from a node covers its (weakly) connected component, so the work is the sum over
    components of sources × (nodes + edges); ``k`` sampled betweenness sources cost their share;
    the searches are shared out among the processes :func:`threads` allows.

    >>> import unittest.mock
    >>> with unittest.mock.patch.dict(os.environ, {THREADS_ENV: "1"}):
    ...     round(estimate_seconds(nx.path_graph(100_000), "closeness"), 1)
    200.0
    """
    a = _arrays(graph)
    single = _single_seconds(a, metric, k)
    return single / _workers(metric, single)


# -- cores -------------------------------------------------------------------------------------
# The searches of exact (and sampled) betweenness, closeness and harmonic centrality are
# independent, one per source: they are shared out among forked processes, each running igraph's
# C core on its share of the sources (igraph holds the GIL: two threads took as long as one).
# Measured on a random directed graph of 20k nodes and 60k edges on these 2-core machines,
# rustworkx 0.18's parallel betweenness took 34 s wall (45 s CPU) and its closeness 24 s, against
# 19 s and 13 s for one igraph process, so it is not used. Betweenness counts add up over sources; closeness and
# harmonic are per node. Below PARALLEL_MIN_SECONDS of work one process is quicker than forking.
THREADS_ENV = "CHAINX_THREADS"
PARALLEL_METRICS = frozenset({"betweenness", "closeness", "harmonic"})
PARALLEL_MIN_SECONDS = 0.5


def available_threads() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def threads() -> int:
    """How many processes the shortest-path measures may use: the cores available, capped by
    ``CHAINX_THREADS`` (a whole number ≥ 1) when it is set.

    >>> import unittest.mock
    >>> with unittest.mock.patch.dict(os.environ, {THREADS_ENV: "1"}):
    ...     threads()
    1
    """
    available = available_threads()
    text = os.environ.get(THREADS_ENV, "").strip()
    if not text:
        return available
    if not text.isdigit() or int(text) < 1:
        raise InvalidParameter(THREADS_ENV, f"must be a whole number of at least 1, not {text!r}")
    return min(int(text), available)


def _workers(metric: str, single_seconds: float) -> int:
    allowed = threads()  # read (and checked) whatever the graph, so a bad setting never passes unseen
    if metric not in PARALLEL_METRICS or single_seconds < PARALLEL_MIN_SECONDS:
        return 1
    return allowed


def threads_used(graph, metric: str, k: int | None = None) -> int:
    """How many processes :func:`compute` runs ``metric`` on ``graph`` with (what a report says)."""
    if metric not in PARALLEL_METRICS:
        return 1
    return _workers(metric, _single_seconds(_arrays(graph), metric, k))


def affordable_sources(graph, max_seconds: float) -> int:
    """The most sampled betweenness sources :func:`estimate_seconds` puts within ``max_seconds``
    (at most the node count): on :func:`threads` processes when a run that size shares its
    searches, else on one."""
    a = _arrays(graph)
    n = len(a.ids)
    per_source = _single_seconds(a, "betweenness", None) / max(1, n)
    if per_source <= 0:
        return n
    shared = int(max_seconds * threads() / per_source)
    if _workers("betweenness", shared * per_source) > 1:
        return min(n, shared)
    return min(n, int(max_seconds / per_source))


_FORKED: tuple | None = None  # (igraph graph, method, keyword arguments), inherited by the workers


def _share(part: list) -> np.ndarray:
    g, method, kwargs = _FORKED
    key = "sources" if method == "betweenness" else "vertices"
    return np.asarray(getattr(g, method)(**{key: part}, **kwargs), dtype=np.float64)


def _adopt(a: Arrays, method: str, kwargs: dict) -> None:
    # a fork server's child gets the graph as arrays and builds its own igraph copy
    global _FORKED
    _FORKED = (a.igraph, method, kwargs)


def _fork_is_safe() -> bool:
    """Whether forking this process is safe: only while it runs one thread. A forked child gets
    a copy of every lock as it was, held by threads the child does not have (the API server's
    threads, for one), and Python 3.12 and later warn about forking then."""
    return threading.active_count() == 1


def _in_processes(a: Arrays, method: str, parts: list[list], kwargs: dict) -> list[np.ndarray]:
    """``a.igraph.<method>(sources|vertices=part, **kwargs)`` for each part. In a single-threaded
    process the last part is its own and each other part a forked child's (the graph inherited);
    else every part goes to a process started by the fork server (the edges sent to it), and this
    one waits: its own share would hold the GIL for the whole call, and the API server's other
    threads with it. A child that dies before it answers (the out-of-memory killer) is an error,
    not a wait for ever (a multiprocessing Pool waits)."""
    global _FORKED
    forked = _fork_is_safe()
    if forked:
        context, graph, own_part, parts = multiprocessing.get_context("fork"), None, parts[-1], parts[:-1]
        _FORKED = (a.igraph, method, kwargs)
    else:
        context = multiprocessing.get_context("forkserver")
        plain = Arrays(list(range(len(a.ids))), a.src, a.dst, None, a.directed)  # igraph needs no ids or weights
        graph = (plain, method, kwargs)
    children = []
    try:
        for part in parts:
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_share_into, args=(send, part, graph), daemon=True)
            child.start()
            send.close()
            children.append((child, receive))
        own = [_share(own_part)] if forked else []
        return [*(_answer(child, receive, method) for child, receive in children), *own]
    finally:
        _FORKED = None
        for child, receive in children:
            receive.close()
            if child.is_alive():
                child.terminate()
            child.join()


def _share_into(send, part: list, graph: tuple | None) -> None:
    """A child's share (of the graph it inherited, or of ``graph`` sent to it), sent back as
    (False, values), or (True, the exception)."""
    try:
        if graph is not None:
            _adopt(*graph)
        answer = (False, _share(part))
    except Exception as error:  # the parent raises it
        answer = (True, error)
    send.send(answer)
    send.close()


def _answer(child, receive, method: str) -> np.ndarray:
    try:
        failed, share = receive.recv()
    except EOFError:  # the child died before it could answer
        child.join()
        metric = method.removesuffix("_centrality")  # igraph's harmonic_centrality
        fewer = f"{THREADS_ENV}=1 runs it in one process" + (", --k samples it" if metric == "betweenness" else "")
        raise WorkerLost(f"a process computing a share of {metric} ended before it answered (exit code {child.exitcode}; "
                         f"-{signal.SIGKILL} is most often the out-of-memory killer): nothing was computed; {fewer}") from None
    if failed:
        raise share
    return share


def _split(items: list, workers: int) -> list[list]:
    # interleaved, so that each share has sources from every component and of every degree
    return [items[i::workers] for i in range(workers)]


def _values(a: Arrays, values) -> dict:
    return dict(zip(a.ids, map(float, values)))


# -- degree ------------------------------------------------------------------------------------
def degree_centrality(graph, direction: str = "both") -> dict:
    """``nx.degree_centrality`` (``direction="both"``), ``nx.in_degree_centrality`` ("in") or
    ``nx.out_degree_centrality`` ("out")."""
    a = _arrays(graph)
    n = len(a.ids)
    if direction != "both" and not a.directed:
        raise nx.NetworkXNotImplemented("not implemented for undirected type")
    if n <= 1:
        return dict.fromkeys(a.ids, 1)
    count = {"in": [a.dst], "out": [a.src], "both": [a.src, a.dst]}[direction]
    degree = sum(np.bincount(ends, minlength=n) for ends in count)
    s = 1.0 / (n - 1.0)
    return _values(a, degree * s)


# -- shortest-path measures ----------------------------------------------------------------------
def sample_sources(graph, k: int, seed=None) -> list:
    """The ``k`` source nodes ``nx.betweenness_centrality(G, k=k, seed=seed)`` samples.

    NetworkX turns ``seed`` into a ``random.Random`` with ``create_py_random_state`` (None: the
    global generator; an int: ``random.Random(seed)``) and draws ``rng.sample(list(G), k)``.
    """
    a = _arrays(graph)
    rng = nx.utils.create_py_random_state(seed)
    return rng.sample(list(a.ids), k)


def betweenness_centrality(graph, k: int | None = None, normalized: bool = True, seed=None, workers: int | None = None) -> dict:
    """``nx.betweenness_centrality(G, k, normalized, weight=None, endpoints=False, seed)``.

    ``workers`` processes share the sources (default: :func:`threads_used`)."""
    a = _arrays(graph)
    n = len(a.ids)
    if k == n:
        k = None  # as NetworkX: all nodes, in order, and no draw from the generator
    sampled = None if k is None else sample_sources(a, k, seed)
    if n == 0:
        return {}
    sources = None if sampled is None else [a.index[node] for node in sampled]
    workers = threads_used(a, "betweenness", k) if workers is None else workers
    if workers > 1:
        parts = _split(list(range(n)) if sources is None else sources, workers)
        raw = np.sum(_in_processes(a, "betweenness", parts, {"directed": a.directed}), axis=0)
    else:
        raw = np.asarray(a.igraph.betweenness(directed=a.directed, sources=sources), dtype=np.float64)
    if not a.directed:
        raw *= 2.0  # igraph counts an undirected pair once, NetworkX sums both orders then rescales
    return _values(a, _rescale(raw, n, normalized=normalized, directed=a.directed, sources=sources))


def _rescale(raw: np.ndarray, n: int, *, normalized: bool, directed: bool, sources) -> np.ndarray:
    """NetworkX's ``betweenness._rescale`` with ``endpoints=False`` (NetworkX ≥ 3.5)."""
    N = n - 1
    if N < 2:
        return raw
    k = None if sources is None else len(sources)
    K_source = N if k is None else k
    correction = 1 if directed else 2
    if k is None:
        scale = 1 / (K_source * (N - 1)) if normalized else N / (K_source * correction)
        return raw * scale if scale != 1 else raw
    if normalized:
        scale_source = 1 / ((K_source - 1) * (N - 1)) if K_source > 1 else math.nan
        scale_nonsource = 1 / (K_source * (N - 1))
    else:
        scale_source = N / ((K_source - 1) * correction) if K_source > 1 else math.nan
        scale_nonsource = N / (K_source * correction)
    scale = np.full(n, scale_nonsource)
    scale[np.asarray(sources, dtype=np.int64)] = scale_source
    return raw * scale


def _per_vertex(a: Arrays, method: str, workers: int, **kwargs) -> np.ndarray:
    """``a.igraph.<method>(**kwargs)`` for every vertex, the vertices shared among ``workers``."""
    if workers <= 1:
        return np.asarray(getattr(a.igraph, method)(**kwargs), dtype=np.float64)
    parts = _split(list(range(len(a.ids))), workers)
    values = np.empty(len(a.ids))
    for part, got in zip(parts, _in_processes(a, method, parts, kwargs)):
        values[part] = got
    return values


def closeness_centrality(graph, wf_improved: bool = True, workers: int | None = None) -> dict:
    """``nx.closeness_centrality(G, wf_improved=wf_improved)``: unweighted, incoming distance on
    directed graphs, Wasserman–Faust scaling by the share of nodes reached. ``workers``
    processes share the searches (default: :func:`threads_used`)."""
    a = _arrays(graph)
    n = len(a.ids)
    if n == 0:
        return {}
    g = a.igraph
    mode = "in" if a.directed else "all"
    # igraph gives (r-1)/S over the r nodes reached; NetworkX needs r and S themselves.
    workers = threads_used(a, "closeness") if workers is None else workers
    normed = _per_vertex(a, "closeness", workers, mode=mode, normalized=True)
    if a.directed:
        # the nodes reaching each node, from the condensation: far cheaper than a second pass
        reached = (_reached_by(a) - 1).astype(np.float64)
    else:
        # on an undirected graph a node reaches exactly its component
        membership = np.asarray(g.connected_components().membership)
        reached = (np.bincount(membership)[membership] - 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.rint(reached / normed)  # S, the sum of distances: an integer
    ok = np.isfinite(total) & (total > 0) & np.isfinite(reached) & (n > 1)
    values = np.zeros(n)
    # the same operations in the same order as NetworkX, on the same integers: same bits
    values[ok] = reached[ok] / total[ok]
    if wf_improved:
        values[ok] *= reached[ok] / (n - 1)
    return _values(a, values)


# Memory for the ancestor bit sets of _reached_by; larger condensations are done in column blocks.
_BITSET_BYTES = 256 * 1024 * 1024


def _reached_by(a: Arrays) -> np.ndarray:
    """For each node of a directed graph, how many nodes reach it, itself included (the ``r`` of
    NetworkX's closeness, whose paths run into the node).

    Every node of a strongly connected component is reached by the same nodes: those of the
    components upstream of it in the condensation, a DAG. Their sets are propagated as bit sets
    level by level down the DAG, then counted with each component's size. The work is (DAG
    edges × components / 64) word operations, against (nodes × edges) for a search from every node.
    """
    comp = np.asarray(a.igraph.connected_components(mode="strong").membership, dtype=np.int64)
    c = int(comp.max()) + 1
    size = np.bincount(comp, minlength=c)
    cs, cd = comp[a.src], comp[a.dst]
    between = cs != cd
    parent, child = np.divmod(np.unique(cs[between] * c + cd[between]), c)
    # topological levels (Kahn's algorithm, a whole level at a time)
    order = np.argsort(parent, kind="stable")
    parent, child = parent[order], child[order]
    starts = np.searchsorted(parent, np.arange(c + 1))
    indegree = np.bincount(child, minlength=c)
    level = np.zeros(c, dtype=np.int64)
    frontier, depth = np.flatnonzero(indegree == 0), 0
    while frontier.size:
        level[frontier] = depth
        counts = starts[frontier + 1] - starts[frontier]
        edges = np.repeat(starts[frontier], counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        drop = np.bincount(child[edges], minlength=c)
        indegree -= drop
        frontier = np.flatnonzero((drop > 0) & (indegree == 0))
        depth += 1
    # edges grouped by their child's level, then by child: each level ORs its parents' sets in
    by_level = np.lexsort((child, level[child]))
    parent, child = parent[by_level], child[by_level]
    level_starts = np.searchsorted(level[child], np.arange(depth + 1))
    reach = np.zeros(c, dtype=np.int64)
    block = max(64, (_BITSET_BYTES // max(c, 1)) * 8 // 64 * 64)  # columns (upstream components) per pass
    for first in range(0, c, block):
        cols = np.arange(first, min(c, first + block))
        words = (len(cols) + 63) // 64
        bits = np.zeros((c, words), dtype=np.uint64)
        bits[cols, (cols - first) // 64] = np.left_shift(np.uint64(1), ((cols - first) % 64).astype(np.uint64))
        for d in range(1, depth):
            lo, hi = level_starts[d], level_starts[d + 1]
            if lo == hi:
                continue
            kids = child[lo:hi]
            heads = np.flatnonzero(np.r_[True, kids[1:] != kids[:-1]])
            bits[kids[heads]] |= np.bitwise_or.reduceat(bits[parent[lo:hi]], heads, axis=0)
        reach += _weighted_popcount(bits, size[first:first + len(cols)])
    return reach[comp]


def _weighted_popcount(bits: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """For each row of ``bits``, the sum of ``weight[j]`` over its set bits j."""
    total = np.zeros(bits.shape[0], dtype=np.int64)
    ones = weight == 1  # most components are single nodes: count their bits at once
    if ones.any():
        mask = np.zeros(bits.shape[1] * 64, dtype=bool)
        mask[: len(weight)] = ones
        packed = np.packbits(mask, bitorder="little").view("<u8")  # bit j of word w: column 64w + j
        total += _popcount(bits & packed).sum(axis=1)
    for j in np.flatnonzero(~ones):
        total += weight[j] * ((bits[:, j // 64] >> np.uint64(j % 64)) & np.uint64(1)).astype(np.int64)
    return total


def _popcount(x: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # NumPy ≥ 2.0
        return np.bitwise_count(x).astype(np.int64)
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((x * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


def harmonic_centrality(graph, workers: int | None = None) -> dict:
    """``nx.harmonic_centrality(G)``: the sum of 1/d over the nodes that reach each node.
    ``workers`` processes share the searches (default: :func:`threads_used`)."""
    a = _arrays(graph)
    if len(a.ids) == 0:
        return {}
    workers = threads_used(a, "harmonic") if workers is None else workers
    values = _per_vertex(a, "harmonic_centrality", workers, mode="in" if a.directed else "all", normalized=False)
    return _values(a, values)


# -- iterative measures --------------------------------------------------------------------------
def _matrix(a: Arrays, weighted: bool) -> sparse.csr_array:
    """The adjacency matrix ``nx.to_scipy_sparse_array`` builds: A[u, v] = weight of u→v; on an
    undirected graph both ways, a self-loop once on the diagonal."""
    import scipy.sparse as sparse  # here, not above: a quarter of a command's start, and only these measures use it

    n = len(a.ids)
    w = a.weight if (weighted and a.weight is not None) else np.ones(len(a.src))
    if a.directed:
        rows, cols, data = a.src, a.dst, w
    else:
        off = a.src != a.dst
        rows = np.concatenate([a.src, a.dst[off]])
        cols = np.concatenate([a.dst, a.src[off]])
        data = np.concatenate([w, w[off]])
    return sparse.coo_array((data, (rows, cols)), shape=(n, n), dtype=float).tocsr()


def pagerank(graph, alpha: float = 0.85, personalization: dict | None = None, max_iter: int = 100, tol: float = 1.0e-6,
             nstart: dict | None = None, weighted: bool = True, dangling: dict | None = None) -> dict:
    """``nx.pagerank(G, alpha, personalization, max_iter, tol, nstart, weight="weight" if
    weighted else None, dangling)``: NetworkX's own SciPy power iteration, step for step.

    Raises ``nx.PowerIterationFailedConvergence`` as NetworkX does.
    """
    import scipy.sparse as sparse  # as in _matrix

    a = _arrays(graph)
    N = len(a.ids)
    if N == 0:
        return {}
    nodelist = a.ids
    A = _matrix(a, weighted)
    S = A.sum(axis=1)
    S[S != 0] = 1.0 / S[S != 0]
    Q = sparse.dia_array((S.T, 0), shape=A.shape).tocsr()
    A = Q @ A
    if nstart is None:
        x = np.repeat(1.0 / N, N)
    else:
        x = np.array([nstart.get(n, 0) for n in nodelist], dtype=float)
        x /= x.sum()
    if personalization is None:
        p = np.repeat(1.0 / N, N)
    else:
        p = np.array([personalization.get(n, 0) for n in nodelist], dtype=float)
        if p.sum() == 0:
            raise ZeroDivisionError
        p /= p.sum()
    if dangling is None:
        dangling_weights = p
    else:
        dangling_weights = np.array([dangling.get(n, 0) for n in nodelist], dtype=float)
        dangling_weights /= dangling_weights.sum()
    is_dangling = np.where(S == 0)[0]
    for _ in range(max_iter):
        xlast = x
        x = alpha * (x @ A + sum(x[is_dangling]) * dangling_weights) + (1 - alpha) * p
        err = np.absolute(x - xlast).sum()
        if err < N * tol:
            return dict(zip(nodelist, map(float, x)))
    raise nx.PowerIterationFailedConvergence(max_iter)


def eigenvector_centrality(graph, max_iter: int = 100, tol: float = 1.0e-6, weighted: bool = False) -> dict:
    """``nx.eigenvector_centrality(G, max_iter, tol, weight="weight" if weighted else None)``.

    The same power iteration on (A + I)ᵀ from the start vector 1/n, normalised to unit Euclidean
    length each step, stopping when the L1 change is below n·tol. Raises
    ``nx.PowerIterationFailedConvergence`` (and ``NetworkXPointlessConcept`` on an empty graph)
    as NetworkX does.
    """
    a = _arrays(graph)
    x, _ = _power_iteration(a, max_iter, tol, weighted)
    if x is None:
        raise nx.PowerIterationFailedConvergence(max_iter)
    return _values(a, x)


def eigenvector_iterations(graph, max_iter: int = 100, tol: float = 1.0e-6, weighted: bool = False) -> int | None:
    """How many iterations ``nx.eigenvector_centrality(G, max_iter, tol, ...)`` runs before it
    converges (None: it does not within ``max_iter``): the same iteration as
    :func:`eigenvector_centrality`'s, so the benchmark can scale NetworkX's time per iteration
    (uniform: one pass over every edge) to its whole run on a graph where that run takes minutes.

    >>> eigenvector_iterations(nx.complete_graph(4)), eigenvector_iterations(nx.path_graph(3), max_iter=2)
    (2, None)
    """
    return _power_iteration(_arrays(graph), max_iter, tol, weighted)[1]


def _power_iteration(a: Arrays, max_iter: int, tol: float, weighted: bool) -> tuple[np.ndarray | None, int | None]:
    """(the vector, the iterations it took), or (None, None) when it does not converge."""
    n = len(a.ids)
    if n == 0:
        raise nx.NetworkXPointlessConcept("cannot compute centrality for the null graph")
    AT = _matrix(a, weighted).T.tocsr()  # x[nbr] += x[node] * w over node's out-edges: Aᵀx
    x = np.full(n, 1.0 / n)
    for iteration in range(1, max_iter + 1):
        xlast = x
        x = xlast + AT @ xlast
        norm = float(np.linalg.norm(x)) or 1.0
        x = x / norm
        if np.abs(x - xlast).sum() < n * tol:
            return x, iteration
    return None, None


def core_number(graph) -> dict:
    """``nx.core_number(G)``; on a directed graph a node's degree is in + out, as NetworkX counts
    it. Refuses self-loops with ``nx.NetworkXNotImplemented``, as NetworkX does."""
    a = _arrays(graph)
    if a.has_selfloops:
        raise nx.NetworkXNotImplemented(
            "Input graph has self loops which is not permitted; "
            "Consider using G.remove_edges_from(nx.selfloop_edges(G))."
        )
    if len(a.ids) == 0:
        return {}
    return dict(zip(a.ids, map(int, a.igraph.coreness(mode="all"))))


def _without_selfloops(a: Arrays) -> Arrays:
    if not a.has_selfloops:
        return a
    keep = a.src != a.dst
    return Arrays(a.ids, a.src[keep], a.dst[keep], None if a.weight is None else a.weight[keep], a.directed)


# what :func:`compute` does the arithmetic of each metric with (the table at the top)
_ENGINES = {"degree": "numpy", "in_degree": "numpy", "out_degree": "numpy", "pagerank": "scipy", "eigenvector": "scipy"}


def engine(metric: str) -> str:
    """The library :func:`compute` computes ``metric`` with.

    >>> engine("betweenness"), engine("pagerank")
    ('igraph', 'scipy')
    """
    return _ENGINES.get(metric, "igraph")


def compute(graph, metric: str, *, k: int | None = None, seed=None) -> dict:
    """``{node: value}`` of ``metric`` as :func:`graph.analysis.centrality.compute_metric` defines
    it with NetworkX, computed from arrays.

    ``graph`` is a NetworkX graph or :class:`Arrays` (or anything carrying ``.arrays``, such as a
    fast projection). The table: degree / in_degree / out_degree centrality; betweenness
    (unweighted, normalised; ``k`` sources drawn with ``seed``); closeness and harmonic
    (unweighted); pagerank weighted by the edge weight; eigenvector unweighted with
    ``max_iter=1000``; core number with self-loops ignored.

    >>> compute(nx.star_graph(3), "closeness")
    {0: 1.0, 1: 0.6, 2: 0.6, 3: 0.6}
    """
    a = _arrays(graph)
    if len(a.ids) == 0:
        return {}
    if metric == "degree":
        return degree_centrality(a)
    if metric == "in_degree":
        return degree_centrality(a, "in")
    if metric == "out_degree":
        return degree_centrality(a, "out")
    if metric == "betweenness":
        return betweenness_centrality(a, k=k, seed=seed)
    if metric == "closeness":
        return closeness_centrality(a)
    if metric == "harmonic":
        return harmonic_centrality(a)
    if metric == "pagerank":
        return pagerank(a, weighted=True)
    if metric == "eigenvector":
        return eigenvector_centrality(a, max_iter=EIGENVECTOR_MAX_ITER)
    if metric == "core":
        return core_number(_without_selfloops(a))
    raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
