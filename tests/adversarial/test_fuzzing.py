"""Part 3: API fuzzing with schemathesis over the app's own OpenAPI schema, counted.

tests/api/test_fuzz.py holds the API to its schema; this run does the same over every operation
with its own fixed seed (derandomised) and counts what it sent and what came back wrong: server
errors (5xx) and responses that break their own schema (an undocumented status code or content
type, or a body the documented schema refuses). Writes are enabled and the key sent, so the write
endpoints are fuzzed past the key check, on a copy of the textile store of this module's own.
"""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import Settings
from graph.store.sqlite import SqliteStore
from viz.report import CHROMIUM_ENV

EXAMPLES = 15  # per operation: a few hundred requests in all
API_KEY = "fuzzing-key-0123456789"
SCHEMA_CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(create_app(Settings(store="unused.db")).openapi())


@pytest.fixture(scope="module")
def fuzzed_app(textile_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzzing") / "chainx.db"
    shutil.copyfile(textile_template, path)
    # a PDF here is the documented 406 of a machine without Chromium: printing one takes seconds
    # (tests/viz/test_report.py prints them), and the fuzzer asks for dozens
    with pytest.MonkeyPatch.context() as patch, SqliteStore(path) as store:
        patch.setenv(CHROMIUM_ENV, str(tmp_path_factory.mktemp("no-chromium") / "chromium"))
        yield create_app(Settings(store=str(path), api_key=API_KEY), store=store)


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx_or_off_its_schema(case, fuzzed_app, figures):
    tally = figures.setdefault("fuzzing", {"requests": 0, "server_errors": 0, "schema_violations": 0, "operations": []})
    # the documented operation (the coverage phase also tries methods an operation lacks)
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    if operation not in tally["operations"]:
        tally["operations"].append(operation)
    response = case.call(app=fuzzed_app, headers={"X-API-Key": API_KEY})
    tally["requests"] += 1
    if response.status_code >= 500:
        tally["server_errors"] += 1
        pytest.fail(f"{operation}: HTTP {response.status_code}: {response.text[:500]}\n{case.as_curl_command()}")
    try:
        case.validate_response(response, checks=SCHEMA_CHECKS)
    except Exception:
        tally["schema_violations"] += 1
        raise
