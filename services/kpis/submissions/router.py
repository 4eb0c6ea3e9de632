"""``/v1/submissions``: a partner's batch of values, as JSON or CSV with the same columns."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.kpis.db import idempotency
from services.kpis.submissions import service
from services.kpis.submissions.schemas import (
    MAX_ROWS,
    SubmissionCreate,
    SubmissionEnvelope,
    SubmissionRejected,
    SubmissionReport,
)
from shared.db import SessionDep
from shared.idempotency import IdempotencyKeyHeader, caller_scope, fingerprint, run_idempotent
from shared.identity import CallerDep
from shared.problems import (
    PROBLEM_MEDIA_TYPE,
    TYPE_BASE,
    InvalidInput,
    field_error,
    invalid,
    problem_doc,
)
from shared.request_id import current_request_id

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])
MAX_CSV_BYTES = 20 * 1024 * 1024


def _csv_records(text: str) -> list[dict[str, Any]]:
    """The CSV's records; a field over the csv module's limit (131,072 characters) or a
    malformed file is a 422 naming the body and the line, not a 500."""
    reader = csv.DictReader(io.StringIO(text))
    records: list[dict[str, Any]] = []
    line = 1  # the line the record being read starts on
    try:
        _ = reader.fieldnames  # the header line
        while len(records) <= MAX_ROWS:
            line = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            records.append(record)
    except csv.Error as exc:
        too_long = "field larger than field limit" in str(exc)
        reason = (
            f"a field is longer than {csv.field_size_limit():,} characters"
            if too_long
            else "the CSV cannot be read"
        )
        raise InvalidInput(
            "the CSV is not valid",
            extensions={
                "errors": [
                    field_error(
                        "body", reason, "csv_field_too_long" if too_long else "csv_malformed"
                    )
                    | {"line": line}
                ]
            },
        ) from None
    return records


def _rejection_problem(status: int, report: dict[str, Any]) -> dict[str, Any]:
    """The row report of a rejected batch as an RFC 9457 problem (its rows an extension)."""
    return {
        **report,
        "outcome": report.get("status"),
        "type": TYPE_BASE + "submission-rejected",
        "title": "Submission rejected",
        "status": status,
        "detail": "one or more rows were rejected; nothing was written (see rows)",
        "request_id": current_request_id(),
    }


@router.post(
    "",
    summary="Submit a batch of values (JSON, or text/csv with the same columns)",
    response_model=SubmissionReport,
    status_code=201,
    responses={
        200: {"description": "dry run or unchanged"},
        422: problem_doc(SubmissionRejected, "rows rejected (nothing written), or invalid input"),
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": SubmissionCreate.model_json_schema()},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    },
)
async def submit(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
    mode: Annotated[Literal["all_or_nothing", "partial"] | None, Query()] = None,
    dry_run: Annotated[bool | None, Query()] = None,
) -> Response:
    """Every row is checked and answered in `rows`. `all_or_nothing` (the default) writes nothing
    when a row is rejected and answers 422 with the row report; `partial` stores the good rows;
    `dry_run` checks and writes nothing. Send `Idempotency-Key` to retry safely.
    """
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise invalid("body", "the body is larger than 20 MB")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    parsed = None
    problems: dict[int, list[str]] = {}
    if content_type == "text/csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise invalid("body", "the CSV is not UTF-8") from exc
        records = _csv_records(text)
        if len(records) > MAX_ROWS:
            raise invalid("body", f"at most {MAX_ROWS} rows per submission")
        service.require_rows(records)
        parsed, problems = service.rows_from_csv(records)
        body = SubmissionCreate.model_construct(
            mode=mode or "all_or_nothing", dry_run=bool(dry_run), rows=[]
        )
        options = f"csv mode={body.mode} dry_run={body.dry_run}"
    else:
        try:
            envelope = SubmissionEnvelope.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidInput(
                "the submission is not valid",
                extensions={
                    "errors": [
                        field_error(
                            ".".join(str(p) for p in e["loc"]) or "body", e["msg"], e["type"]
                        )
                        for e in exc.errors(include_input=False)[:100]
                    ]
                },
            ) from exc
        # each row judged on its own: one bad row is that row's rejection in the report
        parsed, problems = service.rows_from_json(envelope.rows)
        body = SubmissionCreate.model_construct(
            mode=mode or envelope.mode,
            dry_run=envelope.dry_run if dry_run is None else dry_run,
            rows=[],
        )
        options = f"json mode={body.mode} dry_run={body.dry_run}"

    async def produce() -> tuple[int, object, dict[str, str]]:
        report = await service.submit(session, caller, body, parse_problems=problems, parsed=parsed)
        status = service.STATUS_CODES[report["status"]]
        # 422: all-or-nothing with a bad row; the answer lists every row, nothing was written
        if status >= 400 and isinstance(report, dict):
            report = _rejection_problem(status, report)
        return status, report, {}

    if idempotency_key is None:
        # the row report of a big batch is already JSON-native: skip jsonable_encoder's walk
        status, answer, _headers = await produce()
        media = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
        return Response(json.dumps(answer), status_code=status, media_type=media)
    # the body's digest stands for the body (a 10,000-row payload is not re-encoded)
    digest = hashlib.sha256(raw).hexdigest()
    return await run_idempotent(
        session,
        idempotency,
        scope=caller_scope(caller, "kpis:submissions:"),
        key=idempotency_key,
        request_fingerprint=fingerprint("POST", "/v1/submissions", f"{options} {digest}"),
        produce=produce,
    )


@router.get("/{submission_id}", summary="A recorded submission: counts, mode, who and when")
async def get_submission(
    session: SessionDep, caller: CallerDep, submission_id: uuid.UUID
) -> dict[str, object]:
    return await service.get_submission(session, caller, submission_id)
