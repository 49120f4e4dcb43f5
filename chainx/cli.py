"""The ``chainx`` command: a thin layer that parses arguments, calls graph/, and prints.

Every library error becomes one clear line on stderr and a non-zero exit status; a traceback is
shown only with CHAINX_DEBUG=1.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import sys
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from graph import __version__
from graph import params as P
from graph.errors import ChainxError, DatasetError, StoreChanged
from graph.store import GraphStore, default_store_uri, is_bolt_uri, open_store, reads
from viz.formats import Format, csv_file_bytes, emit, report_csv, report_table, rows_to_csv, rows_to_table, to_json

from .options import ChainOption, LangOption, PairsOption, RollupOption, ScopeDepthOption, ScopeOption, SinkOption, SourceOption, option, scope_line

app = typer.Typer(
    name="chainx",
    help="Explore an industrial chain as a graph: load it, find its gaps and bottlenecks, serve it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"chainx {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False,
    as_of: Annotated[Optional[str], option(P.AS_OF)] = None,
) -> None:
    """Explore an industrial chain as a graph: load it, find its gaps and bottlenecks, serve it."""
    # one option for every report: read_store gives each command the graph as of that day
    _as_of.set(as_of)

StoreOption = Annotated[
    Optional[str],
    typer.Option(
        "--store",
        envvar="CHAINX_STORE",
        help="Embedded store file (default ./chainx.db) or a Bolt URI such as bolt://localhost:7687.",
        show_default=False,
    ),
]
FormatOption = Annotated[Format, option(P.FORMAT)]
OutputOption = Annotated[Optional[Path], option(P.OUTPUT)]
_SUFFIX_FORMATS = {".xlsx": Format.xlsx, ".csv": Format.csv, ".json": Format.json}


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


# the running command's name and arguments as typer passed them, for a workbook's About sheet
_command: contextvars.ContextVar[tuple[str, dict]] = contextvars.ContextVar("command", default=("", {}))


def cli_errors(func):
    """Turn library errors into one line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _command.set((func.__name__.removesuffix("_command"), kwargs))
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except DatasetError as error:
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(1) from None
        except ChainxError as error:
            fail(str(error))
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            # the reader went away (chainx gaps | head): nothing is wrong, and nothing more can be
            # written; stdout goes to /dev/null so Python's exit flush does not complain either
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None  # 128 + SIGPIPE, as a shell reports a killed writer
        except Exception as error:  # the last line of defence: never a traceback to a user
            if os.environ.get("CHAINX_DEBUG"):
                raise
            fail(f"unexpected {type(error).__name__}: {error} (set CHAINX_DEBUG=1 for details)")

    return wrapper


# chainx --as-of DAY <report>: the day every report's store is read as of (graph.store.asof)
_as_of: contextvars.ContextVar[str | None] = contextvars.ContextVar("as_of", default=None)


def store_from(uri: str | None, *, create: bool = False) -> GraphStore:
    return open_store(uri or default_store_uri(), create=create)


@contextlib.contextmanager
def read_store(uri: str | None):
    """The store as a command's reads see it: one version of the graph (SQLite: one read
    transaction, so a load by another process meanwhile is not seen half-way; elsewhere the
    version is compared at the end, and a graph changed meanwhile is StoreChanged, not a
    report mixing two graphs)."""
    from graph.store.asof import as_of, check_day

    day = check_day("as_of", _as_of.get())
    from graph.cache import one_version

    # every cached part of the command's reports keyed by the version compared below (graph.cache says why)
    with store_from(uri) as graph_store, graph_store.reading() as view, one_version(view) as before:
        yield as_of(view, day)
        if view.version() != before:
            raise StoreChanged(f"{graph_store.uri} changed while this command read it (a load was writing to it); run it again")


def output_format(format: Format, output: Path | None) -> Format:
    """The format a report command writes: with --output and no --format, the file's suffix says."""
    from graph.errors import InvalidParameter

    if output is not None and format == Format.table:
        if output.suffix.lower() not in _SUFFIX_FORMATS:
            raise InvalidParameter("output", f"write a .xlsx, .csv or .json file, or say which with --format, not {output.name!r}")
        return _SUFFIX_FORMATS[output.suffix.lower()]
    if format == Format.xlsx and output is None:
        raise InvalidParameter("output", "--format xlsx writes a workbook: give the file with --output FILE.xlsx")
    return format


def about(graph_store: GraphStore) -> dict:
    """What a workbook's 说明 About sheet says first: the command, its parameters as given, the
    store and its data version (read before the report, so the version is the report's)."""
    command, arguments = _command.get()
    given = {name: value for name, value in arguments.items() if name not in ("store", "format", "output") and value is not None}
    return {"report": f"chainx {command}", "chainx": __version__, "store": graph_store.uri, "data version": graph_store.version(), **given}


def written(report, format: Format, output: Path | None, about: dict, section: str | None = None) -> bool:
    """Write ``report`` to ``output`` when there is one (a workbook, CSV with a BOM for Excel, or
    JSON) and say so; False when the report is for the terminal."""
    if output is None:
        return False
    from viz.workbook import report_xlsx

    if format == Format.xlsx:
        data = report_xlsx(report, about)
    elif format == Format.csv:
        data = csv_file_bytes(report_csv(report, section))
    elif format == Format.json:
        data = to_json(report).encode("utf-8")
    else:  # output_format gives no table for a file
        raise AssertionError(format)
    try:
        output.write_bytes(data)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}")
    typer.echo(f"Wrote {output} ({format.value}).")
    return True


def _progress_bar(total: int, label: str):
    """A progress callback and its closer: a bar on a terminal, nothing when piped."""
    if not sys.stderr.isatty() or total < 10_000:
        return None, lambda: None
    from rich.progress import Progress

    bar = Progress(transient=True)
    bar.start()
    task = bar.add_task(label, total=total)
    return (lambda done: bar.update(task, completed=done)), bar.stop


def _load_with_bar(graph_store: GraphStore, raw, label: str, **options):
    """loaders.pipeline.load with a progress bar over the write (made once the data is validated:
    a load validated again after another write got in first gets a new bar)."""
    from loaders.pipeline import load as load_dataset

    bar = {"progress": None, "done": lambda: None}

    def validated(data) -> None:
        bar["done"]()
        bar["progress"], bar["done"] = _progress_bar(len(data), label)

    try:
        return load_dataset(graph_store, raw, progress=lambda done: bar["progress"] and bar["progress"](done),
                            on_validated=validated, **options)
    finally:
        bar["done"]()


@app.command()
@cli_errors
def load(
    path: Annotated[Path, typer.Argument(help="Dataset: a folder of CSV files, an .xlsx workbook or a .zip.", show_default=False)],
    store: StoreOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="Swap the store's graph for this dataset's.")] = False,
    match_stages: Annotated[bool, typer.Option("--match-stages/--no-match-stages",
                                               help="Match the dataset's stages to stages already in the store by name or alias "
                                                    "(a town's enterprises onto an imported national chain).")] = True,
    encoding: Annotated[Optional[str], typer.Option(
        help="The CSV files' encoding when not UTF-8 or GB18030/GBK Chinese (cp1252, latin-1, big5, ...).", show_default=False)] = None,
    update_existing: Annotated[bool, option(P.UPDATE_EXISTING)] = P.UPDATE_EXISTING.default,
    dry_run: Annotated[bool, option(P.DRY_RUN)] = P.DRY_RUN.default,
    name: Annotated[Optional[str], typer.Option(
        "--name", help="The dataset's name in the store (chainx datasets, chainx unload); default: the folder's or file's name.",
        show_default=False)] = None,
):
    """Validate a dataset and write it to the store, all or nothing.

    Every problem is reported as file:line: column: what is wrong, and the store is left as it
    was. Loading the same dataset again changes nothing. Stages the dataset names by the id,
    exact name or alias of a stage already in the store are that stage (an overlay). A node the
    store holds changes only where the dataset says something new, and every changed property
    is listed (old → new); stages' definitions are kept unless --update-existing.

    Example: chainx load data/textile --store chainx.db --dry-run
    """
    from graph.collector import gc_paused
    from loaders import read_dataset

    # the collector paused as load_path pauses it: a load makes millions of objects that all live
    with _load_store(store, dry_run) as graph_store, gc_paused():
        from loaders.provenance import dataset_id_of

        dataset_id = dataset_id_of(str(path), name)
        raw = read_dataset(path, encoding=encoding)
        loaded = _load_with_bar(graph_store, raw, "loading", replace=replace, match_stages=match_stages,
                                update_existing=update_existing, dry_run=dry_run, dataset_id=dataset_id)
        summary, matches = loaded.summary, loaded.overlay
        uri = store or default_store_uri()
        if loaded.unchanged and not dry_run:
            typer.echo(f"Loaded {summary.nodes} nodes and {summary.relationships} relationships from {path} into {graph_store.uri} "
                       f"(no changes): unchanged, dataset {dataset_id!r} is loaded with the same content; nothing was written.")
            return
        if dry_run:
            state = "would replace the graph" if replace else ("would change the graph" if summary.changed else "would change nothing")
            typer.echo(f"Dry run: {summary.nodes} nodes and {summary.relationships} relationships from {path} validated against {uri} "
                       f"({state}); nothing was written.")
        else:
            state = "replaced the graph" if replace else ("changed the graph" if summary.changed else "no changes")
            typer.echo(f"Loaded {summary.nodes} nodes and {summary.relationships} relationships from {path} into {graph_store.uri} "
                       f"as dataset {dataset_id!r} ({state}).")
        if matches.summary():
            typer.echo(matches.summary())
        for line in loaded.existing.lines():
            typer.echo(line)
        typer.echo(loaded.cycles.line())
        for note in raw.notes:
            typer.echo(f"Note: {note}")


@contextlib.contextmanager
def _load_store(uri: str | None, dry_run: bool):
    """The store a load writes to; for a dry run, the store as it is, or an empty one in a
    temporary folder where there is no store yet (a dry run creates no file)."""
    target = uri or default_store_uri()
    if not dry_run or is_bolt_uri(target) or Path(target).exists():
        with store_from(target, create=not dry_run) as graph_store:
            yield graph_store
        return
    from graph.store.sqlite import SqliteStore

    with tempfile.TemporaryDirectory(prefix="chainx-dry-run-") as folder, SqliteStore(Path(folder) / "empty.db", create=True) as empty:
        yield empty


# -- import: public chain knowledge graphs (loaders/chainkg.py, loaders/kag.py) -----------------
import_app = typer.Typer(
    help="Import a public industrial-chain knowledge graph (chainkg, KAG, temporal quadruples) into the store.\n\n"
    "Example: chainx import chainkg ../shared/datasets/chainkg --store national.db",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


class Dangling(str, Enum):
    skip = "skip"
    placeholder = "placeholder"


ImportDirArgument = Annotated[Path, typer.Argument(help="The folder of the format's files.", show_default=False)]
StrictOption = Annotated[bool, typer.Option("--strict", help="Fail, writing nothing, if any input line is skipped or any value dropped.")]
ToDatasetOption = Annotated[Optional[Path], typer.Option(
    "--to-dataset", help="Write the mapped dataset as contract CSV files into this folder (for Excel, then chainx load) instead of into the store.",
    show_default=False)]
ReportOption = Annotated[Optional[Path], typer.Option("--report", help="Where to write the JSON import report (default ./chainx-import-FORMAT.json).", show_default=False)]
ReplaceOption = Annotated[bool, typer.Option("--replace", help="Swap the store's graph for the imported one.")]


def _note(message: str) -> None:
    """A line of progress for a person at a terminal (the bar covers only the write)."""
    if sys.stderr.isatty():
        typer.echo(message, err=True)


def _import(kind: str, read, store: str | None, replace: bool, strict: bool, to_dataset: Path | None, report_path: Path | None) -> None:
    """Map the folder (``read()``), validate the tables, write them (to the store or as a
    dataset) and report every input line."""
    import time
    from collections import Counter

    from graph.collector import gc_paused
    from loaders.validate import validate
    from loaders.write import write_dataset

    started = time.perf_counter()
    with gc_paused():
        imported = read()
    report = imported.report
    report_path = report_path or Path(f"chainx-import-{kind}.json")
    failures = report.failures()
    if strict and failures:
        report.write_json(report_path)
        typer.echo(report.summary())
        outcomes = Counter(entry.outcome for entry in failures)
        fail(f"--strict: {outcomes['skipped']:,} lines skipped and {outcomes['dropped']:,} values dropped; nothing was written (each one is in {report_path})")
    _note("Validating ...")
    try:
        cycles = None
        if to_dataset is not None:
            data = validate(imported.raw)
            files = write_dataset(data, to_dataset)
            target = f"{len(files)} files in {to_dataset}/ (load them with: chainx load {to_dataset})"
        else:
            with store_from(store, create=True) as graph_store, gc_paused():
                loaded = _load_with_bar(graph_store, imported.raw, f"importing {kind}", replace=replace, match_stages=False,
                                        kind=f"import {kind}")
                data, summary, cycles = loaded.data, loaded.summary, loaded.cycles
                state = "replaced the graph" if replace else ("changed the graph" if summary.changed else "no changes")
                if loaded.unchanged:
                    state = f"no changes: dataset {loaded.dataset.id!r} is loaded with the same content; nothing was written"
                elif loaded.dataset is not None:
                    state += f", as dataset {loaded.dataset.id!r}"
                target = f"{graph_store.uri} ({state})"
    except DatasetError:
        report.write_json(report_path)  # what was mapped, for reading beside the problems
        raise
    report.graph = {"nodes": dict(Counter(n.label for n in data.nodes)), "relationships": dict(Counter(r.type for r in data.relationships))}
    report.write_json(report_path)
    typer.echo(report.summary())
    typer.echo(f"Imported {len(data.nodes):,} nodes and {len(data.relationships):,} relationships from {imported.report.source} into {target} "
               f"in {time.perf_counter() - started:.1f} s. Report: {report_path}")
    if cycles is not None:
        typer.echo(cycles.line())


@import_app.command("chainkg")
@cli_errors
def import_chainkg(
    folder: ImportDirArgument,
    store: StoreOption = None,
    strict: StrictOption = False,
    to_dataset: ToDatasetOption = None,
    report: ReportOption = None,
    replace: ReplaceOption = False,
    dangling: Annotated[Dangling, typer.Option("--dangling", help="Links to products missing from product.json: skip them, or make placeholder stages.")] = Dangling.skip,
):
    """Import chainkg (A-share companies, Shenwan industries, products and their upstream links).

    Products become stages (p:NAME), companies enterprises (c:CODE) in the placeholder region cn;
    every input line is accounted for in the report.

    Example: chainx import chainkg ../shared/datasets/chainkg --store national.db
    """
    from loaders.chainkg import read_chainkg

    _note(f"Reading and mapping {folder} ...")
    _import("chainkg", lambda: read_chainkg(folder, dangling=dangling.value), store, replace, strict, to_dataset, report)


@import_app.command("kag")
@cli_errors
def import_kag(
    folder: ImportDirArgument,
    store: StoreOption = None,
    strict: StrictOption = False,
    to_dataset: ToDatasetOption = None,
    report: ReportOption = None,
    replace: ReplaceOption = False,
    dangling: Annotated[Dangling, typer.Option("--dangling", help="Products named but not listed in Product.csv: make placeholder stages, or skip them.")] = Dangling.placeholder,
):
    """Import OpenSPG/KAG's supply-chain example (dash-coded products, companies, fund transfers).

    Products become stages (kp:ID), companies enterprises (kc:ID) in the placeholder region cn;
    every input line is accounted for in the report.

    Example: chainx import kag ../shared/datasets/kag-supplychain --store kag.db
    """
    from loaders.kag import read_kag

    _note(f"Reading and mapping {folder} ...")
    _import("kag", lambda: read_kag(folder, dangling=dangling.value), store, replace, strict, to_dataset, report)


@import_app.command("quads")
@cli_errors
def import_quads(
    folder: ImportDirArgument,
    store: StoreOption = None,
    strict: StrictOption = False,
    to_dataset: ToDatasetOption = None,
    report: ReportOption = None,
    replace: ReplaceOption = False,
    map_: Annotated[Optional[list[str]], typer.Option(
        "--map", help="REL=TYPE, REL=TYPE:reverse, REL=ignore or REL=patents (repeatable); adds to the built-in Chinese relations.",
        show_default=False)] = None,
    relations: Annotated[Optional[Path], typer.Option(
        "--relations", help="A mapping file: CSV with a header relation,type, or a JSON object of relation → type.", show_default=False)] = None,
    intervals: Annotated[bool, typer.Option(
        "--intervals", help="A fact last seen before the dataset's last date gets until = that date (default: since only).")] = False,
):
    """Import a temporal edge-list knowledge graph (train/valid/test.txt quadruples or triples).

    Relations map to relationship types; entity kinds follow from their roles; every line is
    accounted for in the report.

    Example: chainx import quads ./icews-chain --map 供应=SUPPLIES --store chain.db
    """
    from graph.errors import InvalidParameter
    from loaders.quads import read_mapping, read_quads

    mapping = dict(read_mapping(relations)) if relations is not None else {}
    for item in map_ or []:
        relation, sep, kind = item.partition("=")
        if not sep or not relation.strip() or not kind.strip():
            raise InvalidParameter("map", f"--map {item!r}: expected REL=TYPE (e.g. 供给=SUPPLIES)")
        mapping[relation.strip()] = kind
    _note(f"Reading and mapping {folder} ...")
    _import("quads", lambda: read_quads(folder, relations=mapping, intervals=intervals), store, replace, strict, to_dataset, report)


@app.command()
@cli_errors
def stats(store: StoreOption = None, format: FormatOption = Format.table, output: OutputOption = None):
    """Count nodes per label and relationships per type.

    Example: chainx stats --format json   |   chainx stats -o counts.xlsx
    """
    format = output_format(format, output)
    with read_store(store) as graph_store:
        given = about(graph_store)
        result = reads.stats(graph_store)
    if written(result, format, output, given):
        return
    if format == Format.json:
        emit(to_json(result))
        return
    if format == Format.csv:
        emit(report_csv(result))
        return
    emit(report_table(result))
    emit(result.cycles.line())


chains_app = typer.Typer(
    help="Chains the store holds (chains.csv, or saved here): list them, show one, save a derived scope as one.\n\n"
    "Example: chainx chains   |   chainx chains show 化纤-纺织-服装   |   chainx chains save textile_core --name 纺织核心链 --from 原油 --to 服装",
    invoke_without_command=True,
)
app.add_typer(chains_app, name="chains")


@chains_app.callback()
@cli_errors
def chains_list(ctx: typer.Context, store: StoreOption = None, format: FormatOption = Format.table, rollup: RollupOption = P.ROLLUP.default):
    """List the chains: id, name, how many top-level stages, how each is defined."""
    if ctx.invoked_subcommand is not None:
        return
    from graph.chains import chain_listing

    P.ROLLUP.check(rollup)
    with read_store(store) as graph_store:
        rows = chain_listing(graph_store, rollup)
    columns = ["id", "name", "stages", "defined_by"]
    if format == Format.json:
        emit(to_json({"total": len(rows), "chains": rows}))
    elif format == Format.csv:
        emit(rows_to_csv(rows, columns + ["description"]))
    else:
        emit(rows_to_table(rows, columns) + f"\n{len(rows)} chain{'s' if len(rows) != 1 else ''}")


@chains_app.command("show")
@cli_errors
def chains_show(
    chain: Annotated[str, typer.Argument(help=P.CHAIN.help.split(";")[0] + ".", show_default=False)],
    store: StoreOption = None,
    format: FormatOption = Format.table,
    rollup: RollupOption = P.ROLLUP.default,
):
    """One chain: its definition, its stages and the FEEDS links among them.

    Example: chainx chains show polyester_garments
    """
    from graph.chains import chain_detail

    P.ROLLUP.check(rollup)
    with read_store(store) as graph_store:
        detail = chain_detail(graph_store, P.CHAIN.check(chain), rollup)
    if format == Format.json:
        emit(to_json(detail))
    elif format == Format.csv:
        emit(rows_to_csv(detail["stages"], ["id", "name"]))
    else:
        emit(f"{detail['name']} ({detail['id']}), defined by {detail['defined_by']}: {len(detail['stages'])} stages, "
             f"{len(detail['links'])} FEEDS links\n" + rows_to_table(detail["stages"], ["id", "name"]))


@chains_app.command("save")
@cli_errors
def chains_save(
    chain_id: Annotated[str, typer.Argument(metavar="ID", help="The new chain's id.", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="The chain's name.", show_default=False)],
    stages: Annotated[Optional[str], typer.Option("--stages", help="Its member stages (ids or names), comma-separated.",
                                                  show_default=False)] = None,
    source: SourceOption = None,
    sink: SinkOption = None,
    region: Annotated[Optional[str], option(P.REGION, help="Save this region's scope: the stages its enterprises operate in "
                                                          "and their FEEDS neighbourhood (--scope-depth).")] = None,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    description: Annotated[Optional[str], typer.Option("--description", help="What the chain is.", show_default=False)] = None,
    store: StoreOption = None,
):
    """Save a chain: by its stages, by its ends (--from, --to), or as a region's scope (--region).

    Example: chainx chains save textile_core --name 纺织核心链 --from 原油 --to 服装
    """
    from graph.chains import chain_detail, save_chain
    from graph.params import split_list

    with store_from(store) as graph_store:
        node = save_chain(graph_store, chain_id, name, stages=split_list(stages) if stages else None, source=source, sink=sink,
                          region=region, scope_depth=scope_depth, description=description)
        detail = chain_detail(graph_store, node.id)
    typer.echo(f"Saved chain {node.name} ({node.id}), defined by {detail['defined_by']}: {len(detail['stages'])} stages.")


@app.command()
@cli_errors
def datasets(store: StoreOption = None, format: FormatOption = Format.table, output: OutputOption = None):
    """List the datasets loaded into the store: name, source, kind, when, counts.

    Example: chainx datasets   |   chainx datasets --format json
    """
    format = output_format(format, output)
    with read_store(store) as graph_store:
        given = about(graph_store)
        result = reads.datasets(graph_store)
    if written(result, format, output, given):
        return
    if format == Format.json:
        emit(to_json(result))
        return
    emit(report_csv(result) if format == Format.csv else report_table(result))


@app.command()
@cli_errors
def unload(
    dataset: Annotated[str, typer.Argument(help="The dataset's name, as chainx datasets lists it.", show_default=False)],
    store: StoreOption = None,
    format: FormatOption = Format.table,
):
    """Remove what only this dataset states, in one transaction; what other datasets state too
    stays, with the values this dataset changed put back where they have not changed since.

    Example: chainx unload shengze_2024
    """
    if format == Format.xlsx:
        fail("format: unload prints table, json or csv")
    with store_from(store) as graph_store:
        result = reads.unload(graph_store, dataset)
    if format == Format.json:
        emit(to_json(result.model_dump()))
        return
    if format == Format.csv:
        emit(rows_to_csv([{"kept": line} for line in result.kept], ["kept"]))
        return
    typer.echo(f"Unloaded {result.dataset!r} from {graph_store.uri}: removed {result.removed_nodes} nodes and "
               f"{result.removed_relationships} relationships; {result.shared_nodes} nodes and {result.shared_relationships} "
               f"relationships other datasets state too stay ({result.reverted} values put back).")
    for line in result.kept:
        typer.echo(f"Kept: {line}")


@app.command()
@cli_errors
def show(
    node_id: Annotated[str, typer.Argument(help="The node's id.", show_default=False)],
    store: StoreOption = None,
    format: FormatOption = Format.table,
):
    """One node: its kind, name, properties and the datasets that state it.

    Example: chainx show e_hengli_group
    """
    if format == Format.xlsx:
        fail("format: show prints table, json or csv")
    with read_store(store) as graph_store:
        node = reads.get_node(graph_store, node_id)
        sources = graph_store.provenance.sources([node_id]).get(node_id)
    shown = {"id": node.id, "kind": node.label, "name": node.name, "props": node.props, "sources": sources}
    if format == Format.json:
        emit(to_json(shown))
        return
    rows = [{"property": k, "value": v if not isinstance(v, list) else "; ".join(map(str, v))}
            for k, v in [("id", node.id), ("kind", node.label), ("name", node.name), *sorted(node.props.items()),
                         ("sources", "(not recorded)" if sources is None else sources or "(none)")]]
    emit(rows_to_csv(rows, ["property", "value"]) if format == Format.csv else rows_to_table(rows, ["property", "value"]))


@app.command()
@cli_errors
def search(
    text: Annotated[str, typer.Argument(help="Text to find in ids, names (Chinese or English) and aliases.")],
    kind: Annotated[Optional[str], typer.Option("--kind", help="Only this node kind, e.g. Enterprise.")] = None,
    limit: Annotated[int, option(P.SEARCH_LIMIT)] = P.SEARCH_LIMIT.default,
    store: StoreOption = None,
    format: FormatOption = Format.table,
):
    """Find nodes by name or alias, in Chinese or English.

    Example: chainx search 涤纶   |   chainx search polyester --kind Stage
    """
    if not text.strip():
        fail("TEXT: give some text to search for")
    if format == Format.xlsx:
        fail("format: search prints table, json or csv; the reports (gaps, compare, ...) write xlsx")
    with read_store(store) as graph_store:
        total, hits = graph_store.search(text, label=kind, limit=P.SEARCH_LIMIT.check(limit))
    rows = [{"id": n.id, "kind": n.label, "name": n.name, "name_en": n.props.get("name_en") or "; ".join(n.props.get("aliases", []))} for n in hits]
    if format == Format.json:
        emit(to_json({"total": total, "results": rows}))
    elif format == Format.csv:
        emit(rows_to_csv(rows, ["id", "kind", "name", "name_en"]))
    else:
        emit(rows_to_table(rows, ["id", "kind", "name", "name_en"]) + f"\n{len(rows)} of {total} matches")


class ExportFormat(str, Enum):
    graphml = "graphml"
    gexf = "gexf"
    csv = "csv"


@app.command()
@cli_errors
def export(
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="graphml or gexf (Gephi, yEd, Cytoscape) or csv (a dataset folder that Excel opens and chainx load reads back).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (graphml/gexf) or folder (csv).")],
    store: StoreOption = None,
):
    """Export the whole graph for Gephi, yEd or Excel.

    Example: chainx export --format gexf -o textile.gexf
    """
    from graph.export import write_graph_file
    from loaders.write import write_dataset

    with read_store(store) as graph_store:
        data = reads.snapshot(graph_store)
    if format == ExportFormat.csv:
        files = write_dataset(data, output)
        typer.echo(f"Wrote {len(files)} files to {output}/")
    else:
        write_graph_file(data, output, format.value)
        typer.echo(f"Wrote {len(data.nodes)} nodes and {len(data.relationships)} relationships to {output}")


@app.command()
@cli_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535, envvar="CHAINX_PORT")] = 8000,
    store: StoreOption = None,
):
    """Serve the HTTP API and the interactive views.

    Example: chainx serve --port 8001   (then open http://127.0.0.1:8001/)
    """
    import uvicorn

    from api.app import create_app, tune_serving_process
    from api.settings import Settings

    settings = Settings(store=store or default_store_uri())
    settings.allowed_hosts = [*settings.allowed_hosts, host]  # its own address is one of its names
    if "report_processes" not in settings.model_fields_set:  # the server owns its process: reports go to workers
        settings.report_processes = settings.max_concurrent_reports or os.cpu_count() or 2
    store_from(settings.store).close()  # fail now, with a clear line, if the store is missing
    # Bind before saying "Serving": a port in use is one clear line with a free one to try, and
    # the socket handed to uvicorn is the one checked (no window for another server to take it).
    sock = _listening_socket(host, port)
    typer.echo(f"Serving {settings.store} on http://{host}:{sock.getsockname()[1]}/ (Ctrl+C to stop)")
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    tune_serving_process()
    server.run(sockets=[sock])


def _listening_socket(host: str, port: int):
    import errno
    import socket

    def bound(at_port: int):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
        # without it a small keep-alive response (headers, then body) waited ~40 ms for a delayed ACK
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a restart need not wait out TIME_WAIT
        try:
            sock.bind((host, at_port))
        except OSError:
            sock.close()
            raise
        sock.listen(2048)
        return sock

    try:
        return bound(port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            fail(f"cannot listen on {host}:{port}: {error.strerror}")
        free = next((p for p in range(port + 1, min(port + 100, 65535) + 1) if _port_free(host, p)), None)
        hint = f"; try --port {free} (or CHAINX_PORT={free}, make demo PORT={free})" if free else ""
        fail(f"port {port} on {host} is already in use{hint}")


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


# -- centrality, ties, paths, neighbourhoods (graph/analysis/centrality.py, ties.py, paths.py) --


@app.command("centrality")
@cli_errors
def centrality_command(
    metric: Annotated[str, typer.Option("--metric", "-m", help="degree, in_degree, out_degree, betweenness, closeness, harmonic, pagerank, eigenvector or core.")] = "degree",
    graph: Annotated[str, typer.Option("--graph", "-g", help="Projection: supply (Enterprise SUPPLIES), chain (Stage FEEDS), ties (Enterprise–Institute) or all.")] = "all",
    kind: Annotated[Optional[str], typer.Option("--kind", help="List only this node kind, e.g. Enterprise (values are computed on the whole graph first).")] = None,
    region: Annotated[Optional[str], option(P.REGION, help="List only nodes in this region or below it.")] = None,
    top: Annotated[int, option(P.CENTRALITY_TOP)] = P.CENTRALITY_TOP.default,
    k: Annotated[Optional[int], option(P.SAMPLES)] = P.SAMPLES.default,
    seed: Annotated[Optional[int], option(P.SEED)] = P.SEED.default,
    force: Annotated[bool, typer.Option("--force", help="Run an exact computation even when it is estimated to take long.")] = False,
    max_seconds: Annotated[float, option(P.MAX_SECONDS, envvar=P.MAX_SECONDS_ENV)] = P.MAX_SECONDS.default,
    engine: Annotated[str, option(P.ENGINE)] = P.ENGINE.default,
    write_back: Annotated[bool, typer.Option("--write-back", help="Store every node's value as property centrality_<metric>_<graph>.")] = False,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """Rank nodes by a NetworkX centrality measure on one projection of the graph.

    Example: chainx centrality --metric betweenness --graph supply --kind Enterprise --top 10
    """
    format = output_format(format, output)
    from graph.analysis.centrality import centrality, property_name
    from graph.analysis.centrality import write_back as store_values

    with (store_from(store) if write_back else read_store(store)) as graph_store:
        given = about(graph_store)
        report = centrality(graph_store, metric, graph, kind=kind, region=region, top=top, k=k, seed=seed, force=force,
                            max_seconds=max_seconds, engine=engine)
        if write_back:
            stored = store_values(graph_store, report)
            typer.echo(f"Stored {property_name(metric, graph)} on {stored} nodes.", err=True)
    if written(report, format, output, given):
        return
    if format == Format.json:
        emit(to_json(report))
    elif format == Format.csv:
        emit(report_csv(report))
    else:
        emit(report_table(report) + f"\n{len(report.rows)} of {report.total} nodes; {report.note}")


@app.command("ties")
@cli_errors
def ties_command(
    institute: Annotated[Optional[str], typer.Option("--institute", help="Focus on one institute: its partners, its community, the institutes it shares firms with.")] = None,
    section: Annotated[Optional[str], typer.Option("--section", help="Show one part: summary, institutes, enterprises, projections, communities, "
                                                                     "brokers, research_gaps, firm_ties (focus with --institute).")] = None,
    seed: Annotated[int, option(P.COMMUNITY_SEED)] = P.COMMUNITY_SEED.default,
    top: Annotated[int, option(P.TIES_TOP)] = P.TIES_TOP.default,
    tie_types: Annotated[Optional[list[str]], option(P.TIE_TYPES)] = None,
    groups: Annotated[bool, option(P.GROUPS)] = P.GROUPS.default,
    lang: LangOption = P.LANG.default,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """Enterprise–institute ties (counts, shared-institute links, communities, brokers, research gaps) and firm ties.

    Example: chainx ties --section brokers   |   chainx ties --section firm_ties --tie-types CONTROLS,INVESTS_IN --groups
    """
    format = output_format(format, output)
    from graph.analysis.ties import SECTIONS, ties_report
    from graph.errors import InvalidParameter

    sections = list(SECTIONS) + (["focus"] if institute else [])
    if section is not None and section not in sections:
        raise InvalidParameter("section", f"unknown section {section!r}; expected one of {', '.join(sections)}")
    if format == Format.csv and section is None:
        raise InvalidParameter("section", f"--format csv shows one table: choose --section ({', '.join(sections)})")
    with read_store(store) as graph_store:
        given = about(graph_store)
        report = ties_report(graph_store, institute=institute, seed=seed, top=top,
                             tie_types=P.split_list(tie_types) if tie_types else None, groups=groups, lang=lang)
    if written(report, format, output, given, section):
        return
    if format == Format.json:
        emit(to_json(report if section is None else getattr(report, section)))
    elif format == Format.csv:
        emit(report_csv(report, section))
    else:
        shown = [section] if section else sections
        emit("\n\n".join(f"== {name} ==\n" + report_table(report, name) for name in shown))


@app.command("diff")
@cli_errors
def diff_command(
    date_from: Annotated[str, option(P.DIFF_FROM)],
    date_to: Annotated[str, option(P.DIFF_TO)],
    region: Annotated[Optional[str], option(P.REGION)] = None,
    top: Annotated[int, option(P.CENTRALITY_TOP)] = P.CENTRALITY_TOP.default,
    section: Annotated[Optional[str], typer.Option("--section", help="Show one part: changes, ranks.")] = None,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """What changed from one day to another: nodes and relationships, gaps (with --region), bottlenecks, ranks.

    Example: chainx diff --from 2021-06-30 --to 2024-06-30 --region town
    """
    format = output_format(format, output)
    from graph.analysis.diff import diff
    from graph.errors import InvalidParameter
    from graph.reports import DiffReport

    sections = list(DiffReport.tables)
    if section is not None and section not in sections:
        raise InvalidParameter("section", f"unknown section {section!r}; expected one of {', '.join(sections)}")
    if format == Format.csv and section is None:
        raise InvalidParameter("section", f"--format csv shows one table: choose --section ({', '.join(sections)})")
    with read_store(store) as graph_store:
        given = about(graph_store)
        report = diff(graph_store, date_from, date_to, region, top=top)
    if written(report, format, output, given, section):
        return
    if format == Format.json:
        emit(to_json(report))
    elif format == Format.csv:
        emit(report_csv(report, section))
    else:
        c = report.counts
        head = (f"{report.date_from} → {report.date_to}{' in ' + region if region else ''}: "
                f"nodes +{c.nodes_appeared} -{c.nodes_disappeared}, relationships +{c.relationships_appeared} -{c.relationships_disappeared}, "
                f"gaps closed {c.gaps_closed} opened {c.gaps_opened}, bottlenecks +{c.bottlenecks_appeared} -{c.bottlenecks_gone}")
        shown = [section] if section else sections
        emit(head + "\n\n" + "\n\n".join(f"== {name} ==\n" + report_table(report, name) for name in shown))


@app.command("path")
@cli_errors
def path_command(
    source: Annotated[str, typer.Argument(help="Id, name or alias of the node to start from.", show_default=False)],
    target: Annotated[str, typer.Argument(help="Id, name or alias of the node to reach.", show_default=False)],
    via: Annotated[str, option(P.PATH_VIA)] = P.PATH_VIA.default,
    directed: Annotated[bool, option(P.DIRECTED)] = P.DIRECTED.default,
    through_regions: Annotated[bool, option(P.THROUGH_REGIONS)] = P.THROUGH_REGIONS.default,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """The shortest path between two nodes, each step with its relationship and direction.

    Example: chainx path e_hengli_group e_tm_hanpai_womenswear
    """
    format = output_format(format, output)
    from graph.analysis.paths import explained_path

    with read_store(store) as graph_store:
        given = about(graph_store)
        result = explained_path(graph_store, source, target, via=via, directed=directed, through_regions=through_regions)
    if written(result, format, output, given):
        return
    if format == Format.json:
        emit(to_json(result))
    elif format == Format.csv:
        emit(report_csv(result))
    else:
        along = f", along FEEDS{' upstream' if result.steps and not result.steps[0].forward else ''}" if result.via == "chain" else ""
        emit(f"{result.text}\n{result.length} step{'s' if result.length != 1 else ''}{along}")


@app.command("neighbors")
@cli_errors
def neighbors_command(
    node: Annotated[str, typer.Argument(help="Id of the node to look around.", show_default=False)],
    depth: Annotated[int, option(P.DEPTH)] = P.DEPTH.default,
    kind: Annotated[Optional[str], typer.Option("--kind", help="List only this node kind, e.g. Enterprise.")] = None,
    limit: Annotated[int, option(P.NEIGHBOR_LIMIT)] = P.NEIGHBOR_LIMIT.default,
    via: Annotated[str, option(P.VIA)] = P.VIA.default,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """The nodes around one node, nearest first, either direction of every relationship.

    Example: chainx neighbors i_donghua_university --depth 2 --kind Stage
    """
    format = output_format(format, output)
    from graph.analysis.paths import neighbors

    with read_store(store) as graph_store:
        given = about(graph_store)
        result = neighbors(graph_store, node, depth=depth, kind=kind, limit=limit, via=via)
    if written(result, format, output, given):
        return
    if format == Format.json:
        emit(to_json(result))
    elif format == Format.csv:
        emit(report_csv(result))
    else:
        centre = result.node
        emit(report_table(result) + f"\n{len(result.nodes)} of {result.total} nodes within {depth} of {centre.name} ({centre.id})")


# -- gaps, compare, bottlenecks, whatif (graph/analysis/gaps.py, bottlenecks.py) ----------------


@app.command("gaps")
@cli_errors
def gaps_command(
    region: Annotated[str, option(P.REGION)],
    min_firms: Annotated[int, option(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top_candidates: Annotated[int, option(P.TOP_CANDIDATES)] = P.TOP_CANDIDATES.default,
    stages: Annotated[bool, typer.Option("--stages", help="List every stage's status instead of the gaps (table and csv).")] = False,
    candidates: Annotated[bool, typer.Option("--candidates", help="List the gaps' candidates one per row instead of the gaps (table and csv).")] = False,
    top: Annotated[Optional[int], option(P.LISTING_TOP)] = P.LISTING_TOP.default,
    scope: ScopeOption = P.SCOPE.default,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    source: SourceOption = None,
    sink: SinkOption = None,
    rollup: RollupOption = P.ROLLUP.default,
    pairs: PairsOption = P.PAIRS.default,
    chain: ChainOption = None,
    lang: LangOption = P.LANG.default,
    groups: Annotated[bool, option(P.GROUPS)] = P.GROUPS.default,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """What a region's chain lacks: missing stages (补链 break / 延链 extension / absent) and weak
    ones (强链 strengthen), scored, with enterprises elsewhere that could fill them.

    Example: chainx gaps --region tianmen --top-candidates 3
    """
    format = output_format(format, output)
    from graph.analysis.gaps import gaps
    from graph.errors import InvalidParameter
    from graph.i18n import message

    if stages and candidates:
        raise InvalidParameter("candidates", "list the stages (--stages) or the candidates (--candidates), not both")

    with read_store(store) as graph_store:
        given = about(graph_store)
        report = gaps(graph_store, region, min_firms=min_firms, top_candidates=top_candidates, top=top, scope=scope, scope_depth=scope_depth,
                      source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain, lang=lang, groups=groups)
    section = "stages" if stages else "candidates" if candidates else "gaps"
    if written(report, format, output, given, section):
        return
    if format == Format.json:
        emit(to_json(report))
        return
    if format == Format.csv:
        emit(report_csv(report, section))
        return
    counts, said = report.counts, report._lang  # the language the analysis chose (--lang, CHAINX_LANG or the data's)
    notes = ""
    if not report.listing.complete:
        shown = report.listing.stages_listed if stages else report.listing.gaps_listed
        total = counts.stages if stages else report.gaps_total
        notes += "\n" + message("gaps.listed_stages" if stages else "gaps.listed_gaps", said, shown=shown, total=total)
    if report.stage_betweenness.method != "exact":
        notes += "\n" + message("gaps.b_note", said, note=report.stage_betweenness.note)
    summary = message("gaps.summary", said, region_name=report.region_name, region=report.region, present=counts.present,
                      stages=counts.stages, weak=counts.weak, missing=counts.missing, completeness=report.completeness,
                      weighted=report.completeness_weighted)
    emit(summary + "\n" + report_table(report, section) + notes + scope_line(report))


_BRIEFING_SUFFIXES = {"." + name: name for name in P.BRIEFING_FORMATS}


@app.command("report")
@cli_errors
def report_command(
    region: Annotated[str, option(P.REGION)],
    output: Annotated[Path, option(P.BRIEFING_OUTPUT)],
    min_firms: Annotated[int, option(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top_candidates: Annotated[int, option(P.TOP_CANDIDATES)] = P.TOP_CANDIDATES.default,
    top: Annotated[int, option(P.BRIEFING_TOP)] = P.BRIEFING_TOP.default,
    peers: Annotated[Optional[str], option(P.BRIEFING_PEERS)] = P.BRIEFING_PEERS.default,
    scope: ScopeOption = P.SCOPE.default,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    source: SourceOption = None,
    sink: SinkOption = None,
    rollup: RollupOption = P.ROLLUP.default,
    pairs: PairsOption = P.PAIRS.default,
    chain: ChainOption = None,
    lang: LangOption = P.LANG.default,
    format: Annotated[Optional[str], option(P.BRIEFING_FORMAT)] = P.BRIEFING_FORMAT.default,
    store: StoreOption = None,
):
    """A briefing of a region to hand up: summary, chain panorama, top gaps and whom to attract,
    bottlenecks, the comparison with --peers, enterprise–university ties, parameters and method, as
    .html, .docx, .pdf or .xlsx.

    Example: chainx report --region tianmen --peers shengze -o tianmen.docx
    """
    import datetime

    from graph.analysis.briefing import briefing
    from graph.errors import InvalidParameter
    from viz.report import render

    if format is None:
        format = _BRIEFING_SUFFIXES.get(output.suffix.lower())
        if format is None:
            raise InvalidParameter("output", f"write a .html, .docx, .pdf or .xlsx file, or say which with --format, not {output.name!r}")
    P.BRIEFING_FORMAT.check(format)
    with read_store(store) as graph_store:
        given = about(graph_store)
        report = briefing(graph_store, region, min_firms=min_firms, top_candidates=top_candidates, top=top, lang=lang, scope=scope,
                          scope_depth=scope_depth, source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain, peers=peers)
    data = render(report, format, date=datetime.date.today().isoformat(), about=given)
    try:
        output.write_bytes(data)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}")
    typer.echo(f"Wrote {output} ({format}).")


@app.command("compare")
@cli_errors
def compare_command(
    regions: Annotated[list[str], typer.Argument(help=P.REGIONS.help + " Or as separate arguments, taken as they are (an id may hold a comma): shengze tianmen.", show_default=False)],
    min_firms: Annotated[int, option(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top: Annotated[Optional[int], option(P.LISTING_TOP)] = P.LISTING_TOP.default,
    peers: Annotated[int, option(P.COMPARE_PEERS)] = P.COMPARE_PEERS.default,
    scope: ScopeOption = P.SCOPE.default,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    source: SourceOption = None,
    sink: SinkOption = None,
    rollup: RollupOption = P.ROLLUP.default,
    pairs: PairsOption = P.PAIRS.default,
    chain: ChainOption = None,
    lang: LangOption = P.LANG.default,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """Stage-by-stage coverage of several regions side by side: what one has and another lacks.

    Example: chainx compare shengze tianmen --format csv > coverage.csv
    """
    format = output_format(format, output)
    from graph.analysis.gaps import compare

    with read_store(store) as graph_store:
        given = about(graph_store)
        # one argument may list them with commas, as the API takes them; several are taken as they
        # are, so an id holding a comma can still be given
        report = compare(graph_store, P.split_list(regions) if len(regions) == 1 else regions, min_firms=min_firms, top=top, peers=peers,
                         scope=scope, scope_depth=scope_depth, source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain, lang=lang)
    # with --peers the CSV is the peers table (one table per CSV); xlsx and json hold both
    section = "peers" if peers else "stages"
    if written(report, format, output, given, section):
        return
    if format == Format.json:
        emit(to_json(report))
        return
    if format == Format.csv:
        emit(report_csv(report, section))
        return
    from graph.i18n import joined, message

    said = report._lang
    footer = message("cmp.completeness", said, regions=joined((f"{r} {report.completeness[r]:.3f}" for r in report.regions), said))
    if report.stages_listed < report.stages_total:
        footer += "\n" + message("gaps.listed_stages", said, shown=report.stages_listed, total=report.stages_total)
    if peers:
        footer += "\n" + message("cmp.peers", said) + "\n" + report_table(report, "peers")
    emit(report_table(report) + "\n" + footer + scope_line(report))


@app.command("related")
@cli_errors
def related_command(
    region: Annotated[str, option(P.REGION)],
    level: Annotated[Optional[str], option(P.REGION_LEVEL)] = None,
    measure: Annotated[str, option(P.MEASURE)] = P.MEASURE.default,
    presence: Annotated[str, option(P.PRESENCE)] = P.PRESENCE.default,
    top: Annotated[int, option(P.RELATED_TOP)] = P.RELATED_TOP.default,
    peers: Annotated[int, option(P.PEERS)] = P.PEERS.default,
    stages: Annotated[bool, typer.Option("--stages", help="List every stage's RCA, presence and density instead of the feasible stages.")] = False,
    peer_list: Annotated[bool, typer.Option("--peer-list", help="List the peer regions instead of the feasible stages (table and csv).")] = False,
    scope: ScopeOption = P.SCOPE.default,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    source: SourceOption = None,
    sink: SinkOption = None,
    rollup: RollupOption = P.ROLLUP.default,
    pairs: PairsOption = P.PAIRS.default,
    chain: ChainOption = None,
    lang: LangOption = P.LANG.default,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """Which missing stages a region could realistically grow: relatedness (RCA, proximity,
    density) of a region × stage matrix, and the regions most like it.

    Example: chainx related --region shengze --top 10
    """
    format = output_format(format, output)
    from graph.analysis.related import related
    from graph.errors import InvalidParameter

    if stages and peer_list:
        raise InvalidParameter("stages", "list the stages (--stages) or the peers (--peer-list), not both")
    with read_store(store) as graph_store:
        given = about(graph_store)
        report = related(graph_store, region, level=level, measure=measure, presence=presence, top=top, peers=peers,
                         scope=scope, scope_depth=scope_depth, source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain, lang=lang)
    section = "stages" if stages else "peers" if peer_list else "feasible"
    if written(report, format, output, given, section):
        return
    if format == Format.json:
        emit(to_json(report))
        return
    if format == Format.csv:
        emit(report_csv(report, section))
        return
    from graph.i18n import joined, message

    m, said = report.matrix, report._lang
    head = (message("rel.head", said, region_name=report.region_name, region=report.region, held=m.held, stages=m.stages,
                    present=m.present, presence=report.presence, regions=m.regions, rule=m.rule)
            + ("\n" + message("rel.note", said, note=m.note) if m.note else ""))
    footer = ""
    if section == "feasible" and report.feasible_total > len(report.feasible):
        footer = "\n" + message("rel.listed", said, shown=len(report.feasible), total=report.feasible_total)
    if section == "feasible" and report.peers:
        footer += "\n" + message("rel.peers", said, measure=m.peer_measure,
                                  peers=joined((f"{p.name} {p.similarity:.3f}" for p in report.peers), said))
    emit(head + "\n" + report_table(report, section) + footer + scope_line(report))


@app.command("bottlenecks")
@cli_errors
def bottlenecks_command(
    region: Annotated[Optional[str], option(P.REGION, help="Count firms, single sources and critical enterprises in this region.")] = None,
    hhi_threshold: Annotated[float, option(P.HHI_THRESHOLD)] = P.HHI_THRESHOLD.default,
    min_firms: Annotated[int, option(P.CRITICAL_MIN_FIRMS)] = P.CRITICAL_MIN_FIRMS.default,
    top: Annotated[Optional[int], option(P.LISTING_TOP)] = P.LISTING_TOP.default,
    scope: ScopeOption = P.SCOPE.default,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    source: SourceOption = None,
    sink: SinkOption = None,
    rollup: RollupOption = P.ROLLUP.default,
    pairs: PairsOption = P.PAIRS.default,
    chain: ChainOption = None,
    lang: LangOption = P.LANG.default,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """Where the chain can snap: chokepoint stages, single-source stages, critical enterprises.

    Example: chainx bottlenecks --region shengze --format json
    """
    format = output_format(format, output)
    from graph.analysis.bottlenecks import bottlenecks

    with read_store(store) as graph_store:
        given = about(graph_store)
        report = bottlenecks(graph_store, region, hhi_threshold=hhi_threshold, min_firms=min_firms, top=top, scope=scope, scope_depth=scope_depth,
                             source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain, lang=lang)
    if written(report, format, output, given):
        return
    if format == Format.json:
        emit(to_json(report))
    elif format == Format.csv:
        emit(report_csv(report))
    else:
        from graph.i18n import joined, label, message

        said = report._lang
        counts = joined((f"{n} {label(kind, said)}" for kind, n in report.counts.items()), said)
        notes = "" if report.listed.complete else "\n" + message("bn.listed", said, top=report.listed.top)
        if not report.critical_screening.complete:
            notes += "\n" + message("bn.screening", said, rule=report.critical_screening.rule)
        emit(report_table(report) + f"\n{counts} ({report.scope})" + notes + scope_line(report))


@app.command("whatif")
@cli_errors
def whatif_command(
    remove: Annotated[list[str], option(P.REMOVE)],
    region: Annotated[Optional[str], option(P.REGION, help="Count lost stages and enterprises in this region.")] = None,
    min_firms: Annotated[int, option(P.CRITICAL_MIN_FIRMS)] = P.CRITICAL_MIN_FIRMS.default,
    scope: ScopeOption = P.SCOPE.default,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    source: SourceOption = None,
    sink: SinkOption = None,
    rollup: RollupOption = P.ROLLUP.default,
    pairs: PairsOption = P.PAIRS.default,
    chain: ChainOption = None,
    lang: LangOption = P.LANG.default,
    store: StoreOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
):
    """What loses supply if some enterprises or stages go: the cascade, step by step.

    Example: chainx whatif --remove e_wj_lianjie_zipper --region tianmen
    """
    format = output_format(format, output)
    from graph.analysis.bottlenecks import whatif

    ids = P.split_list(remove)
    with read_store(store) as graph_store:
        given = about(graph_store)
        report = whatif(graph_store, ids, region, min_firms=min_firms, scope=scope, scope_depth=scope_depth, source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain, lang=lang)
    if written(report, format, output, given):
        return
    if format == Format.json:
        emit(to_json(report))
        return
    if format == Format.csv:
        emit(report_csv(report))
    else:
        emit(report_table(report) + "\n" + "\n".join(report.reasons) + scope_line(report))


# -- interactive views (graph/views_data.py → viz/pages.py) -----------------------------------
view_app = typer.Typer(
    help="Write an interactive view (a self-contained HTML page that works offline) or its JSON payload.\n\n"
    "Example: chainx view chain --region tianmen -o tianmen.html",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(view_app, name="view")

ViewOutput = Annotated[Path, typer.Option(
    "--output", "-o", help="File to write: .html for the page (opens in any browser, no internet needed), .json for the payload it is drawn from.",
    show_default=False)]


def _write_view(payload: dict, output: Path) -> None:
    from viz.pages import render

    text = to_json(payload) if output.suffix.lower() == ".json" else render(payload)
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}")
    drawn = [payload, *payload.get("maps", [])]
    nodes = payload.get("stages_drawn") or sum(len(p.get("nodes") or p.get("stages") or []) for p in drawn)
    typer.echo(f"Wrote {output} ({payload['view']} view, {nodes} nodes).")


@view_app.command("chain")
@cli_errors
def view_chain(
    region: Annotated[str, option(P.REGION)],
    output: ViewOutput,
    min_firms: Annotated[int, option(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top_candidates: Annotated[int, option(P.TOP_CANDIDATES)] = P.TOP_CANDIDATES.default,
    scope: ScopeOption = P.SCOPE.default,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    source: SourceOption = None,
    sink: SinkOption = None,
    rollup: RollupOption = P.ROLLUP.default,
    pairs: PairsOption = P.PAIRS.default,
    chain: ChainOption = None,
    store: StoreOption = None,
):
    """The chain map of a region: stages upstream → downstream, coloured by status, gaps marked.

    Example: chainx view chain --region tianmen -o tianmen.html
    """
    from graph.views_data import chain_view

    with read_store(store) as graph_store:
        payload = chain_view(graph_store, region, min_firms=min_firms, top_candidates=top_candidates,
                             scope=scope, scope_depth=scope_depth, source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain)
    _write_view(payload, output)


@view_app.command("compare")
@cli_errors
def view_compare(
    regions: Annotated[str, option(P.VIEW_REGIONS)],
    output: ViewOutput,
    min_firms: Annotated[int, option(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    store: StoreOption = None,
):
    """Chain maps of two to four regions on one layout, with their coverage side by side.

    Example: chainx view compare --regions shengze,tianmen -o compare.html
    """
    from graph.views_data import compare_view

    with read_store(store) as graph_store:
        payload = compare_view(graph_store, P.split_list(regions), min_firms=min_firms)
    _write_view(payload, output)


@view_app.command("panorama")
@cli_errors
def view_panorama(
    region: Annotated[str, option(P.REGION)],
    output: ViewOutput,
    min_firms: Annotated[int, option(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top: Annotated[int, option(P.PANORAMA_TOP)] = P.PANORAMA_TOP.default,
    scope: ScopeOption = P.SCOPE.default,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    source: SourceOption = None,
    sink: SinkOption = None,
    rollup: RollupOption = P.ROLLUP.default,
    pairs: PairsOption = P.PAIRS.default,
    chain: ChainOption = None,
    store: StoreOption = None,
):
    """The chain panorama of a region (产业链全景图): upstream, midstream, downstream and support columns, a box per stage with its local and national enterprises and its status; static, to print.

    Example: chainx view panorama --region shengze -o shengze-panorama.html
    """
    from graph.views_data import panorama_view

    with read_store(store) as graph_store:
        payload = panorama_view(graph_store, region, min_firms=min_firms, top=top, scope=scope, scope_depth=scope_depth, source=source,
                                sink=sink, rollup=rollup, pairs=pairs, chain=chain)
    _write_view(payload, output)


@view_app.command("heatmap")
@cli_errors
def view_heatmap(
    output: ViewOutput,
    regions: Annotated[Optional[str], option(P.HEATMAP_REGIONS)] = None,
    top_regions: Annotated[int, option(P.HEATMAP_TOP)] = P.HEATMAP_TOP.default,
    min_firms: Annotated[int, option(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    scope: ScopeOption = P.SCOPE.default,
    scope_depth: ScopeDepthOption = P.SCOPE_DEPTH.default,
    source: SourceOption = None,
    sink: SinkOption = None,
    rollup: RollupOption = P.ROLLUP.default,
    pairs: PairsOption = P.PAIRS.default,
    chain: ChainOption = None,
    store: StoreOption = None,
):
    """A region × stage heat map: regions as rows, stages as columns, each cell the region's enterprises in the stage.

    Example: chainx view heatmap --regions shengze,tianmen,wuxi -o heatmap.html
    """
    from graph.views_data import heatmap_view

    with read_store(store) as graph_store:
        payload = heatmap_view(graph_store, regions, top_regions=top_regions, min_firms=min_firms, scope=scope, scope_depth=scope_depth,
                               source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain)
    _write_view(payload, output)


@view_app.command("snapshot")
@cli_errors
def view_snapshot(
    region: Annotated[str, option(P.REGION)],
    date_from: Annotated[str, option(P.DIFF_FROM)],
    date_to: Annotated[str, option(P.DIFF_TO)],
    output: ViewOutput,
    min_firms: Annotated[int, option(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    store: StoreOption = None,
):
    """A region's chain map on two days side by side, with the gaps closed and opened between them.

    Example: chainx view snapshot --region town --from 2021-06-30 --to 2024-06-30 -o town.html
    """
    from graph.views_data import snapshot_view

    with read_store(store) as graph_store:
        payload = snapshot_view(graph_store, region, date_from, date_to, min_firms=min_firms)
    _write_view(payload, output)


@view_app.command("ego")
@cli_errors
def view_ego(
    node_id: Annotated[str, typer.Argument(metavar="ID", help="The node's id.", show_default=False)],
    output: ViewOutput,
    depth: Annotated[int, option(P.DEPTH, help=P.DEPTH.help)] = P.DEPTH.default,
    kind: Annotated[Optional[str], typer.Option("--kind", help="Check the node is of this kind, e.g. Enterprise.")] = None,
    tie_types: Annotated[Optional[list[str]], option(P.TIE_TYPES)] = None,
    store: StoreOption = None,
):
    """A node and its neighbourhood, coloured by kind, edges labelled by relationship type.

    Example: chainx view ego e_hengli_group --depth 2 -o hengli.html
    """
    from graph.views_data import ego_view

    with read_store(store) as graph_store:
        payload = ego_view(graph_store, node_id, depth=depth, kind=kind, tie_types=P.split_list(tie_types) if tie_types else None)
    _write_view(payload, output)


@view_app.command("ties")
@cli_errors
def view_ties(
    output: ViewOutput,
    institute: Annotated[Optional[str], typer.Option("--institute", help="Keep one institute, its enterprises and their other institutes.")] = None,
    seed: Annotated[int, option(P.COMMUNITY_SEED)] = P.COMMUNITY_SEED.default,
    store: StoreOption = None,
):
    """Enterprises and institutes, coloured by community, brokers emphasised.

    Example: chainx view ties -o ties.html
    """
    from graph.views_data import ties_view

    with read_store(store) as graph_store:
        payload = ties_view(graph_store, institute=institute, seed=seed)
    _write_view(payload, output)


@view_app.command("bottlenecks")
@cli_errors
def view_bottlenecks(
    output: ViewOutput,
    region: Annotated[Optional[str], option(P.REGION, help="Region id; the whole graph when absent.")] = None,
    store: StoreOption = None,
):
    """The supply network with chokepoint stages and critical enterprises highlighted.

    Example: chainx view bottlenecks --region tianmen -o bottlenecks.html
    """
    from graph.views_data import bottlenecks_view

    with read_store(store) as graph_store:
        payload = bottlenecks_view(graph_store, region=region)
    _write_view(payload, output)


@view_app.command("related")
@cli_errors
def view_related(
    output: ViewOutput,
    region: Annotated[str, option(P.REGION)],
    level: Annotated[Optional[str], option(P.REGION_LEVEL)] = None,
    measure: Annotated[str, option(P.MEASURE)] = P.MEASURE.default,
    presence: Annotated[str, option(P.PRESENCE)] = P.PRESENCE.default,
    top: Annotated[int, option(P.RELATED_TOP)] = P.RELATED_TOP.default,
    store: StoreOption = None,
):
    """The stage space: stages linked by proximity, the region's present stages filled, its
    feasible ones ringed.

    Example: chainx view related --region shengze -o related.html
    """
    from graph.views_data import related_view

    with read_store(store) as graph_store:
        payload = related_view(graph_store, region, level=level, measure=measure, presence=presence, top=top)
    _write_view(payload, output)


def main() -> None:
    # The Neo4j driver logs a lost connection itself (Python's last-resort handler prints it);
    # the store already turns it into one clear line, so the driver's copy is only noise.
    logging.getLogger("neo4j").addHandler(logging.NullHandler())
    app()


if __name__ == "__main__":
    main()
