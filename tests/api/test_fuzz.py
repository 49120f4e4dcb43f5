"""Schemathesis over the app's own OpenAPI schema: no 5xx, and every response as documented.

Every operation, with a fixed seed (``derandomize``) and a bounded number of examples, against an
app with writes enabled and the key sent, so the write endpoints are exercised past the key
check too. The checks: no server error, a documented status code, a documented content type,
and a body that validates against the documented schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import Settings
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.api.conftest import API_KEY
from tests.conftest import TEXTILE

EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed_store(tmp_path_factory):
    # the bundled dataset: the ids in the schema's examples (shengze, e_hengli_group, ...) exist
    store = SqliteStore(tmp_path_factory.mktemp("fuzz") / "chainx.db", create=True)
    load_path(store, TEXTILE)
    yield store
    store.close()


@pytest.fixture(scope="module")
def fuzzed_app(fuzzed_store):
    return create_app(Settings(store=fuzzed_store.uri, api_key=API_KEY), store=fuzzed_store)


# The schema comes from an app of its own: building an app and its OpenAPI document touches no
# store, so it can happen at collection; the requests go to the fixture's app.
schema = schemathesis.openapi.from_dict(create_app(Settings(store="unused.db")).openapi())


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented_and_never_5xx(case, fuzzed_app):
    case.call_and_validate(app=fuzzed_app, headers={"X-API-Key": API_KEY}, checks=CHECKS)
