"""The ``chainx`` command: a thin layer that parses arguments, calls graph/, and prints.

Every library error becomes one clear line on stderr and a non-zero exit status; a traceback is
shown only with CHAINX_DEBUG=1.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from enum import Enum
from typing import Annotated, Optional

import typer

from graph.errors import ChainxError, DatasetError
from graph.store import GraphStore, default_store_uri, open_store

from .output import Format, emit, rows_to_csv, rows_to_table, to_json

app = typer.Typer(
    name="chainx",
    help="Explore an industrial chain as a graph: load it, find its gaps and bottlenecks, serve it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

StoreOption = Annotated[
    Optional[str],
    typer.Option(
        "--store",
        envvar="CHAINX_STORE",
        help="Embedded store file (default ./chainx.db) or a Bolt URI such as bolt://localhost:7687.",
        show_default=False,
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def cli_errors(func):
    """Turn library errors into one line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
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
        except Exception as error:  # the last line of defence: never a traceback to a user
            if os.environ.get("CHAINX_DEBUG"):
                raise
            fail(f"unexpected {type(error).__name__}: {error} (set CHAINX_DEBUG=1 for details)")

    return wrapper


def store_from(uri: str | None, *, create: bool = False) -> GraphStore:
    return open_store(uri or default_store_uri(), create=create)


def _progress_bar(total: int, label: str):
    """A progress callback and its closer: a bar on a terminal, nothing when piped."""
    if not sys.stderr.isatty() or total < 10_000:
        return None, lambda: None
    from rich.progress import Progress

    bar = Progress(transient=True)
    bar.start()
    task = bar.add_task(label, total=total)
    return (lambda done: bar.update(task, completed=done)), bar.stop


@app.command()
@cli_errors
def load(
    path: Annotated[Path, typer.Argument(help="Dataset: a folder of CSV files, an .xlsx workbook or a .zip.", show_default=False)],
    store: StoreOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="Swap the store's graph for this dataset's.")] = False,
):
    """Validate a dataset and write it to the store, all or nothing.

    Every problem is reported as file:line: column: what is wrong, and the store is left as it
    was. Loading the same dataset again changes nothing.

    Example: chainx load data/textile --store chainx.db
    """
    from graph.ingest import store_context
    from loaders import read_dataset, validate

    with store_from(store, create=True) as graph_store:
        data = validate(read_dataset(path), store_context(graph_store, replace))
        progress, done = _progress_bar(len(data), "loading")
        try:
            summary = graph_store.write(data, replace=replace, progress=progress)
        finally:
            done()
        state = "replaced the graph" if replace else ("changed the graph" if summary.changed else "no changes")
        typer.echo(f"Loaded {summary.nodes} nodes and {summary.relationships} relationships from {path} into {graph_store.uri} ({state}).")


@app.command()
@cli_errors
def stats(store: StoreOption = None, format: FormatOption = Format.table):
    """Count nodes per label and relationships per type.

    Example: chainx stats --format json
    """
    with store_from(store) as graph_store:
        result = graph_store.stats()
    if format == Format.json:
        emit(to_json(result))
        return
    rows = [{"kind": "node", "name": k, "count": v} for k, v in result["nodes"].items()]
    rows += [{"kind": "relationship", "name": k, "count": v} for k, v in result["relationships"].items()]
    emit(rows_to_csv(rows, ["kind", "name", "count"]) if format == Format.csv else rows_to_table(rows, ["kind", "name", "count"]))


@app.command()
@cli_errors
def search(
    text: Annotated[str, typer.Argument(help="Text to find in ids, names (Chinese or English) and aliases.")],
    kind: Annotated[Optional[str], typer.Option("--kind", help="Only this node kind, e.g. Enterprise.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    store: StoreOption = None,
    format: FormatOption = Format.table,
):
    """Find nodes by name or alias, in Chinese or English.

    Example: chainx search 涤纶   |   chainx search polyester --kind Stage
    """
    if not text.strip():
        fail("TEXT: give some text to search for")
    with store_from(store) as graph_store:
        total, hits = graph_store.search(text, label=kind, limit=limit)
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

    with store_from(store) as graph_store:
        data = graph_store.snapshot()
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
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    store: StoreOption = None,
):
    """Serve the HTTP API and the interactive views.

    Example: chainx serve --port 8000   (then open http://127.0.0.1:8000/)
    """
    import uvicorn

    from api.app import create_app
    from api.settings import Settings

    settings = Settings(store=store or default_store_uri())
    store_from(settings.store).close()  # fail now, with a clear line, if the store is missing
    typer.echo(f"Serving {settings.store} on http://{host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
