"""chainx import quads on a generated temporal quadruple dataset: a few hundred entities and a few
thousand facts over five years, with planted self-loops, conflicting roles and second parents, and a
gap that closes on a known date. The generator records, fact by fact, what it planted; the
expected labels, accounting, as-of counts and the gap's closing are computed from that record, never
from the importer's output."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from graph.analysis.gaps import gaps
from graph.store.asof import as_of
from graph.store.sqlite import SqliteStore
from loaders.pipeline import prepare
from loaders.quads import read_quads

YEARS = ["2019-01-01", "2020-01-01", "2021-01-01", "2022-01-01", "2023-01-01"]
STAGES, FIRMS = 60, 240
GAP_STAGE, GAP_YEAR = 30, 3  # nothing operates in 环节030 until one firm enters it in 2022


@dataclass
class Planted:
    folder: Path
    lines: int = 0
    mapped: int = 0
    merged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    first: dict[tuple, int] = field(default_factory=dict)  # (relation, head, tail) → the year it is first seen
    entity_year: dict[str, int] = field(default_factory=dict)  # an entity's earliest mapped fact


def generate(folder: Path, seed: int = 5) -> Planted:
    rng = random.Random(seed)
    stages = [f"环节{i:03d}" for i in range(STAGES)]
    firms = [f"企业{j:03d}" for j in range(FIRMS)] + ["新来企业"]
    entities = stages + firms
    relations = ["上游于", "涉足行业", "供给", "合作", "控股"]
    planted = Planted(folder)
    lines: list[tuple[str, str, str, int]] = []
    symmetric = {"合作"}

    def fact(head: str, relation: str, tail: str, year: int) -> None:
        lines.append((head, relation, tail, year))
        key = (relation, *sorted((head, tail))) if relation in symmetric else (relation, head, tail)
        if key in planted.first:
            planted.merged += 1  # restated: its since is the earliest sighting
        else:
            planted.mapped += 1
        planted.first[key] = min(planted.first.get(key, year), year)
        for entity in (head, tail):
            planted.entity_year[entity] = min(planted.entity_year.get(entity, year), year)

    def skip(head: str, relation: str, tail: str, year: int, reason: str) -> None:
        lines.append((head, relation, tail, year))
        planted.skipped[reason] = planted.skipped.get(reason, 0) + 1

    for i in range(STAGES - 1):  # the chain, seen from 2019 or 2020, some links restated later
        year = rng.randint(0, 1)
        fact(stages[i], "上游于", stages[i + 1], year)
        if rng.random() < 0.3:
            fact(stages[i], "上游于", stages[i + 1], rng.randint(year + 1, 4))
    others = [s for k, s in enumerate(stages) if k != GAP_STAGE]
    for firm in firms[:-1]:
        for stage in rng.sample(others, rng.randint(1, 2)):
            fact(firm, "涉足行业", stage, rng.randint(0, 4))
    fact("新来企业", "涉足行业", stages[GAP_STAGE], GAP_YEAR)
    for _ in range(1_500):
        a, b = rng.sample(firms[:-1], 2)
        fact(a, rng.choice(["供给", "合作"]), b, rng.randint(0, 4))
    parent_of: dict[str, str] = {}
    for sub in rng.sample(firms[10:200], 40):  # parents among the last 40 firms: never a firm planted below
        parent_of[sub] = rng.choice([f for f in firms[200:-1] if f != sub])
        fact(parent_of[sub], "控股", sub, rng.randint(0, 4))
    # planted after every firm has its role: the importer must report each, never drop it silently
    for firm in firms[:5]:
        skip(firm, "合作", firm, 2, "self_loop")
    for firm in firms[5:9]:  # an Enterprise named as the head of a FEEDS link: a Stage's role
        skip(firm, "上游于", stages[0], 2, "conflicting_roles")
    for sub in list(parent_of)[:3]:  # a second parent of a subsidiary
        other = next(f for f in firms[200:-1] if f not in (sub, parent_of[sub]))
        skip(other, "控股", sub, 3, "second_parent")
    planted.lines = len(lines)

    index = {name: i for i, name in enumerate(entities)}
    (folder / "entity2id.txt").write_text("".join(f"{name}\t{i}\n" for name, i in index.items()), encoding="utf-8")
    (folder / "relation2id.txt").write_text("".join(f"{name}\t{i}\n" for i, name in enumerate(relations)), encoding="utf-8")
    (folder / "time2id.txt").write_text("".join(f"{i},{day}\n" for i, day in enumerate(YEARS)), encoding="utf-8")
    (folder / "train.txt").write_text("".join(f"{index[h]}\t{relations.index(r)}\t{index[t]}\t{y}\n" for h, r, t, y in lines),
                                      encoding="utf-8")
    return planted


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Planted:
    return generate(tmp_path_factory.mktemp("generated-quads"))


@pytest.fixture(scope="module")
def store(planted, tmp_path_factory):
    store = SqliteStore(tmp_path_factory.mktemp("db") / "quads.db", create=True)
    data, _ = prepare(store, read_quads(planted.folder).raw, match_stages=False)
    store.write(data)
    yield store
    store.close()


def test_a_few_thousand_facts_are_each_accounted_for(planted):
    assert planted.lines > 2_000 and len(planted.entity_year) > 250
    report = read_quads(planted.folder).report
    counts = report.counts("train.txt")
    skipped = sum(planted.skipped.values())
    assert counts == {"read": planted.lines, "mapped": planted.mapped, "merged": planted.merged, "skipped": skipped, "ignored": 0}
    reasons: dict[str, int] = {}
    for entry in report.entries:
        if entry.outcome == "skipped":
            reasons[entry.reason] = reasons.get(entry.reason, 0) + 1
    assert reasons == planted.skipped == {"self_loop": 5, "conflicting_roles": 4, "second_parent": 3}


def test_labels_follow_from_the_roles(store):
    nodes, _ = store.counts()
    # every stage and firm of the generator, and the placeholder region the firms are put in
    assert (nodes["Stage"], nodes["Enterprise"], nodes["Region"]) == (STAGES, FIRMS + 1, 1)


@pytest.mark.parametrize("day", ["2019-06-01", "2021-06-01", "2023-06-01"])
def test_as_of_three_days_counts_what_had_been_seen(store, planted, day):
    year = next(i for i, start in reversed(list(enumerate(YEARS))) if start <= day)
    nodes, rels = as_of(store, day).counts()
    stage_names = {f"环节{i:03d}" for i in range(STAGES)}
    seen = {e for e, y in planted.entity_year.items() if y <= year}
    assert nodes.get("Stage", 0) == len(seen & stage_names)
    assert nodes.get("Enterprise", 0) == len(seen - stage_names)
    expected = {"FEEDS": "上游于", "OPERATES_IN": "涉足行业", "SUPPLIES": "供给", "COOPERATES_WITH": "合作", "CONTROLS": "控股"}
    for rel_type, relation in expected.items():
        assert rels.get(rel_type, 0) == sum(1 for key, y in planted.first.items() if key[0] == relation and y <= year), rel_type


def test_the_planted_gap_closes_when_its_firm_arrives(store):
    stage = next(n.id for n in store.nodes(["Stage"]) if n.name == f"环节{GAP_STAGE:03d}")

    def status(day: str) -> str:
        report = gaps(as_of(store, day), "cn", min_firms=1)
        return next(s.status for s in report.stages if s.stage == stage)

    assert (status("2021-12-31"), status("2022-01-01")) == ("missing", "present")
