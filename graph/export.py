"""Whole-graph exports for other tools: GraphML (yEd, Cytoscape) and GEXF (Gephi), and the one
rule for every value a spreadsheet may open (:func:`spreadsheet_safe`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .model import GraphData

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["to_networkx", "write_graph_file", "spreadsheet_safe", "spreadsheet_value", "csv_line", "xml_safe", "FORMULA_TRIGGERS"]

# OWASP's CSV-injection guidance: a cell starting with one of these can run as a formula (or a DDE
# call) in Excel, LibreOffice or Google Sheets; a leading apostrophe makes the spreadsheet read it
# as text. A cell whose first non-blank character is one of them counts too: some importers trim.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A plain number ("-12.5", "+3e5") is no formula and stays as it is, so numbers keep sorting as numbers.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet cell that can never run as a formula: with an apostrophe in front
    when it starts (or, after blanks, continues) with a formula trigger and is no plain number.

    The loaders take such an apostrophe off again (``loaders.validate``), so exports load back as
    they were.

    >>> [spreadsheet_safe(v) for v in ("=1+1", "-2+3+cmd|' /C calc'!A0", " @SUM(A1)", "-12.5", "-四氟苯甲酰氯", "涤纶")]
    ["'=1+1", "'-2+3+cmd|' /C calc'!A0", "' @SUM(A1)", '-12.5', "'-四氟苯甲酰氯", '涤纶']
    """
    if not text:
        return text
    if text.startswith(FORMULA_TRIGGERS[4:]) or (text.lstrip(" \t\r\n").startswith(FORMULA_TRIGGERS[:4])
                                                 and _PLAIN_NUMBER.fullmatch(text.strip()) is None):
        return "'" + text
    return text


def spreadsheet_value(value, separator: str = ";"):
    """A value of a node or relationship as a spreadsheet-bound cell: text made
    :func:`spreadsheet_safe`, a list joined by ``separator`` with every item made safe (a
    spreadsheet set to split on ``;`` would otherwise start a cell with the second one), anything
    else (numbers, booleans) as it is."""
    if isinstance(value, (list, tuple)):
        return separator.join(spreadsheet_safe(str(item)) for item in value)
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return value


# A cell holding one of these is quoted. Besides the CSV's own separator, quote and line ends:
# the semicolon, which Excel in many European locales splits on (a cell "a;=cmd|..." would turn
# into two, the second a live formula), and the tab, which some importers split on.
_NEEDS_QUOTES = re.compile(r'[,;"\r\n\t]')


def csv_line(cells) -> str:
    r"""One CSV record (no line end) of the text ``cells``, each made :func:`spreadsheet_safe` and
    quoted when it holds a separator of any common locale, as OWASP's guidance says.

    >>> print(csv_line(["a", "x;=HYPERLINK(1)", "=1+1", "b,c"]))
    a,"x;=HYPERLINK(1)",'=1+1,"b,c"
    """
    out = []
    for cell in cells:
        cell = spreadsheet_safe(cell)
        out.append('"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTES.search(cell) else cell)
    return ",".join(out)


# Characters XML 1.0 cannot hold at all (C0 controls but tab and line ends, lone surrogates,
# U+FFFE and U+FFFF): one of them makes a whole GEXF or GraphML file unreadable.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML cannot hold, each written as ``\\uXXXX`` instead (the
    loaders refuse them; a store written otherwise may still hold them).

    >>> xml_safe("a\\ufffeb\\x01")
    'a\\\\ufffeb\\\\u0001'
    """
    return _XML_INVALID.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _flat(value):
    # GraphML and GEXF hold scalars only; lists (aliases, tags) become "a;b". Gephi's data
    # laboratory and yEd's tables export to spreadsheets: every text is made safe for one.
    value = spreadsheet_value(value)
    return xml_safe(value) if isinstance(value, str) else value


def to_networkx(data: GraphData) -> nx.MultiDiGraph:
    """Every node and relationship of ``data`` as a MultiDiGraph with flat attributes, each text
    safe for XML and for a spreadsheet. Node ids stay as stored (only XML-invalid characters are
    escaped), so ids a user reads in Gephi still name the nodes in chainx."""
    import networkx as nx  # here, not at the top: every command imports this module, few export

    graph = nx.MultiDiGraph()
    for node in data.nodes:
        # "label" is what Gephi and yEd show on a node; "type" says which kind of node it is
        attrs = {xml_safe(k): _flat(v) for k, v in node.props.items() if v is not None}
        attrs.update(type=node.label, name=_flat(node.name), label=_flat(node.name))
        graph.add_node(xml_safe(node.id), **attrs)
    for rel in data.relationships:
        attrs = {xml_safe(k): _flat(v) for k, v in rel.props.items() if v is not None}
        attrs.update(type=rel.type, label=rel.type, rel_key=_flat(rel.key))
        graph.add_edge(xml_safe(rel.source), xml_safe(rel.target), key=xml_safe(f"{rel.type}:{rel.key}"), **attrs)
    return graph


def write_graph_file(data: GraphData, path: str | Path, fmt: str) -> None:
    import networkx as nx

    graph = to_networkx(data)
    if fmt == "graphml":
        nx.write_graphml(graph, path)
    elif fmt == "gexf":
        nx.write_gexf(graph, path)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
