"""The HTTP API fuzzed against its own OpenAPI schema (schemathesis 4): every check, a fixed
seed and a bounded number of examples, in three configurations (no token, a token, writes
allowed). The schema is the point, not the model, so the FakeEmbedder serves a tiny index.

A run is in-process (schemathesis calls the ASGI app, no socket), as `st run --checks all
--mode all` would over HTTP: the examples, coverage, fuzzing and stateful phases.
"""
from __future__ import annotations

import pytest
from helpers.fakes import FakeEmbedder

import rag
from rag.server import make_app

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.core.failures import Failure  # noqa: E402
from schemathesis.engine import Status, events, from_schema  # noqa: E402

pytestmark = pytest.mark.slow  # about 30 s for the three

TOKEN = "fuzz-token"  # noqa: S105 (a test token)
EXAMPLES = 25  # per operation and phase: about 330 requests a configuration, 10 s; 300 examples (1,430 requests) found nothing more
SEED = 31
CONFIGS = {"no token": {}, "token": {"token": TOKEN}, "writes": {"allow_writes": True}}

# A request the schema allows can still name what this index lacks, say nothing once control
# characters and spaces are dropped, or upload files under names no upload may have (a multipart
# file name is outside any schema; schemathesis names every file "files"): 400 then, with one of
# these messages; any other 400 fails.
DEPENDS_ON_THE_INDEX = ("not in the index: ", "no passages in language ", "empty query: type a question",
                        "the reader reads with multilingual-e5-small", "nothing added: ")


class IndexDependent(Failure):
    pass


@schemathesis.check
def bad_request_only_for_what_the_schema_cannot_say(ctx, response, case) -> bool | None:
    """A 400 to schema-valid data is allowed by positive_data_acceptance below (its list
    includes 400) only when it is about the index's contents; say so when it is not."""
    meta = case.meta
    if response.status_code != 400 or meta is None or not meta.generation.mode.is_positive:
        return None
    error = response.json().get("error", "")
    if not error.startswith(DEPENDS_ON_THE_INDEX):
        raise IndexDependent(operation=case.operation.label, title="Schema-valid request rejected",
                             message=f"400 to a request the schema allows: {error}")
    return None


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True},
        "phases": {name: {"enabled": True} for name in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": {
            "enabled": True,  # every check, schemathesis' and the one above
            # the schema cannot name the index's documents and languages (DEPENDS_ON_THE_INDEX)
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409"]},
            # more than 10 files is out of the schema (maxItems) and refused as too large: 413
            "negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "405", "413", "422"]},
        },
        "headers": {},
    })


def fuzz(app, token: str | None = None) -> tuple[int, list[str]]:
    """Run every phase against `app`: (requests made, failures as 'operation: check: title')."""
    config = _config()
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    if token:
        config.projects.default.update(headers=auth)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config, headers=auth)
    cases, failures = 0, []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.interactions)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE:
                        failures.append(_described(event.recorder, case_id, check))
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            failures.append(f"error: {event.info.message}")
    return cases, failures


def _described(recorder, case_id: str, check) -> str:
    """One failure as a line: the operation, the check, what was sent and what came back."""
    case, sent = recorder.cases[case_id].value, recorder.interactions.get(case_id)
    got = f" -> {sent.response.status_code} {sent.response.content[:200]!r}" if sent and sent.response else ""
    why = " | ".join(check.failure_info.failure.message.splitlines()) if check.failure_info else ""
    body = repr(case.body)[:200] if not type(case.body).__name__ == "NotSet" else ""
    return f"{case.operation.label}: {check.name}: {why}: {case.method} {case.formatted_path} {body}{got}"


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory):
    from helpers.docs import EN_MD, RU_TEXT

    docs = tmp_path_factory.mktemp("fuzz-docs")
    (docs / "ru_elections.txt").write_text(RU_TEXT, encoding="utf-8")
    (docs / "sub").mkdir()
    (docs / "sub" / "en_farms.md").write_text(EN_MD, encoding="utf-8")  # a name with a folder, as DELETE takes it
    return docs


@pytest.mark.parametrize("name", CONFIGS)
def test_the_api_keeps_to_its_schema(name, tiny_index, tmp_path, capsys):
    idx = rag.build([tiny_index], tmp_path / "index", model=FakeEmbedder())
    app = make_app(idx, uploads=tmp_path / "uploads", **CONFIGS[name])
    cases, failures = fuzz(app, CONFIGS[name].get("token"))
    with capsys.disabled():
        print(f"\nschemathesis, {name}: {cases} requests, {len(failures)} failures")
    assert failures == []
    assert cases > 200  # it ran: every operation, every phase
