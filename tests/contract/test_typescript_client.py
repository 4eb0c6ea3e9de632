"""Issue 18 item 1: a TypeScript client generated from the merged document compiles.

``openapi-typescript`` turns the document into types (it refuses a reference it cannot
resolve, as it did with ``#/$defs/SubmissionRow``); ``tsc --strict`` compiles them with a
small program using the main flows' types.
"""

from __future__ import annotations

from pathlib import Path

from tests.contract.node import OPENAPI_TYPESCRIPT, TYPESCRIPT, npx

USES = """\
import type { components, operations, paths } from "./api";

type Problem = components["schemas"]["Problem"];
type Rejected = components["schemas"]["SubmissionRejected"];
type Submission = paths["/v1/submissions"]["post"]["requestBody"];
type Report = operations["createSubmission"]["responses"][201]["content"]["application/json"];
type Update = operations["createActionUpdate"]["requestBody"];
type Import = operations["getImport"]["responses"][200]["content"]["application/json"];

export const problem: Problem = {
  type: "https://improvement-platform.example/problems/validation-error",
  title: "Request validation failed",
  status: 422,
  errors: [{ field: "rows.0.value", in: "body", message: "Field required" }],
};
export function firstRejectedRow(answer: Rejected): number | undefined {
  return answer.rows.find((row) => row.status === "rejected")?.row;
}
export function accepted(report: Report): number {
  return report.accepted;
}
export function rowsRead(job: Import): number {
  return job.progress.rows_read;
}
export type { Submission, Update };
"""


def test_typescript_client_generates_and_compiles(merged_file: Path, tmp_path: Path) -> None:
    generated = npx(
        OPENAPI_TYPESCRIPT, str(merged_file), "-o", str(tmp_path / "api.d.ts"), cwd=tmp_path
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    (tmp_path / "uses.ts").write_text(USES)
    compiled = npx(
        "-p", TYPESCRIPT, "tsc", "--strict", "--noEmit", "--target", "es2022",
        "--moduleResolution", "node", "uses.ts", "api.d.ts",
        cwd=tmp_path,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
