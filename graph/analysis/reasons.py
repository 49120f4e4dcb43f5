"""How reports spell out the names behind a reason: the first few, then how many more.

>>> listing(["a", "b", "c"], shown=2)
'a, b and 1 more'
>>> listing(["a", "b"], total=40)
'a, b and 35 more'
>>> listing(["甲", "乙", "丙"], shown=2, lang="zh")
'甲、乙等另外1个'
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.i18n import joined, message

__all__ = ["NAMES_IN_REASON", "listing"]

# How many stage or enterprise names a reason spells out before saying "and N more".
NAMES_IN_REASON = 5


def listing(names: Iterable[str], total: int | None = None, shown: int = NAMES_IN_REASON, lang: str = "en") -> str:
    """The first ``shown`` of ``names`` and how many more (of ``total``, when only the first
    were given, else of all ``names``), in ``lang``."""
    names = list(names)
    more = (len(names) if total is None else total) - shown
    text = joined(names[:shown], lang)
    return message("listing.more", lang, names=text, more=more) if more > 0 else text
