"""From a sheet's text chunks to typed, pseudonymised rows, and the issues found on the way.

Missing values: blank, ``#N/A``, ``N/A``, ``NULL``. Dates: ISO (``2020-09-16``, a time part
ignored), ``dd/mm/yyyy`` (also ``dd-mm-yyyy``, ``dd.mm.yyyy``) or an Excel serial number.
Issues name the sheet, the row a person sees, the column header and the reason; they never
quote a child identifier or a date (only unknown code values, which identify no one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from services.kpis.imports import codes as cl
from services.kpis.imports.pseudonymise import Pseudonymiser
from services.kpis.imports.specs import Field, ListSpec, header_key
from services.kpis.imports.spill import Spill

MISSING = ["", "#N/A", "N/A", "#NA", "NULL", "#NULL!", "#VALUE!"]
EXCEL_EPOCH = date(1899, 12, 30)
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
ISSUE_LIMIT = 1000


@dataclass
class Issues:
    errors: list[dict[str, object]] = field(default_factory=list)
    warnings: list[dict[str, object]] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0

    def add(
        self, severity: str, sheet: str, row: int | None, column: str | None, reason: str
    ) -> None:
        self._append(severity, {"sheet": sheet, "row": row, "column": column, "reason": reason})

    def extend(self, other: Issues) -> None:
        """Add another block's issues after these (listed ones in order, the rest counted)."""
        for item in other.errors:
            self._append("error", item)
        for item in other.warnings:
            self._append("warning", item)
        self.error_count += other.error_count - len(other.errors)
        self.warning_count += other.warning_count - len(other.warnings)

    def _append(self, severity: str, item: dict[str, object]) -> None:
        if severity == "error":
            self.error_count += 1
            if len(self.errors) < ISSUE_LIMIT:
                self.errors.append(item)
        else:
            self.warning_count += 1
            if len(self.warnings) < ISSUE_LIMIT:
                self.warnings.append(item)

    def add_rows(
        self, severity: str, sheet: str, rows: pl.Series, column: str | None, reason: str
    ) -> None:
        """One issue per row; rows beyond the listing limit are counted, not listed."""
        room = ISSUE_LIMIT - len(self.errors if severity == "error" else self.warnings)
        for row in rows.head(max(room, 0)).to_list():
            self.add(severity, sheet, row, column, reason)
        extra = rows.len() - max(room, 0)
        if extra > 0:
            if severity == "error":
                self.error_count += extra
            else:
                self.warning_count += extra

    def as_report(self) -> dict[str, object]:
        return {
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "errors": self.errors,
            "warnings": self.warnings,
            "truncated": self.error_count > len(self.errors)
            or self.warning_count > len(self.warnings),
        }


def match_columns(spec: ListSpec, headers: list[str]) -> tuple[dict[str, str], list[Field]]:
    """Field name → source column (``c<i>``), and the required fields not found."""
    keys = [header_key(h) for h in headers]
    found: dict[str, str] = {}
    missing: list[Field] = []
    for fld in spec.fields:
        wanted = fld.keys()
        index = next((i for i, k in enumerate(keys) if k in wanted), None)
        if index is None:
            if fld.required:
                missing.append(fld)
            continue
        found[fld.name] = f"c{index}"
    return found, missing


def recognise(specs: tuple[ListSpec, ...], headers: list[str]) -> ListSpec | None:
    keys = set(header_key(h) for h in headers)
    for spec in specs:
        if all(k in keys for k in spec.signature_keys()):
            return spec
    return None


MISSING_FORMS = sorted({m for v in MISSING for m in (v, v.lower(), v.title())})


def _cleaned(text: pl.Expr) -> pl.Expr:
    """Trimmed text (Unicode whitespace, so non-breaking spaces too); missing forms as null."""
    text = text.str.strip_chars()
    return pl.when(text.is_in(MISSING_FORMS)).then(None).otherwise(text)


def _clean(column: str) -> pl.Expr:
    return _cleaned(pl.col(column))


def _by_value(
    series: pl.Series, convert: Callable[[pl.Expr], pl.Expr], dtype: pl.DataType
) -> tuple[pl.Series, pl.Series]:
    """``convert`` applied to each distinct raw text once (after cleaning), then mapped
    back (codes, dates and team names repeat: a million rows hold a few thousand distinct
    values); and, per row, whether the cell is missing (null, blank or a missing form)."""
    distinct = series.drop_nulls().unique()
    if distinct.len() == 0:
        return pl.Series(series.name, [None] * series.len(), dtype=dtype), series.is_null()
    cleaned = _cleaned(pl.col("v"))
    both = pl.DataFrame({"v": distinct}).select(
        convert(cleaned).cast(dtype).alias("typed"), cleaned.is_null().alias("missing")
    )
    typed = series.replace_strict(distinct, both["typed"], default=None, return_dtype=dtype)
    forms = distinct.filter(both["missing"])
    missing = series.is_null()
    if forms.len():
        missing = missing | series.is_in(forms.implode())
    return typed, missing


def _date(raw: pl.Expr) -> pl.Expr:
    iso = raw.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    dmy_text = raw.str.replace_all(r"[.\-]", "/").str.slice(0, 10)
    dmy = dmy_text.str.strptime(pl.Date, "%d/%m/%Y", strict=False)
    serial_ok = raw.str.contains(r"^\d{1,5}(\.\d+)?$")
    serial = pl.when(serial_ok).then(
        pl.lit(EXCEL_EPOCH)
        + pl.duration(days=raw.cast(pl.Float64, strict=False).floor().cast(pl.Int64))
    )
    parsed = pl.coalesce(iso, dmy, serial.cast(pl.Date))
    return pl.when(parsed.is_between(pl.lit(MIN_DATE), pl.lit(MAX_DATE))).then(parsed)


def _slug(raw: pl.Expr) -> pl.Expr:
    return (
        raw.str.to_uppercase()
        .str.replace_all(r"[^A-Z0-9]+", "-")
        .str.strip_chars("-")
        .str.slice(0, 60)
    )


def _child_id(cleaned: pl.Expr) -> pl.Expr:
    """A child identifier as compared and pseudonymised (a number Excel wrote as 123.0)."""
    return cleaned.str.strip_suffix(".0")


def child_and_date(chunk: pl.DataFrame, child: str, day: str) -> pl.DataFrame:
    """``_row``, ``child`` and ``date`` read as :meth:`ChunkNormaliser.prepare` reads them
    (the same cleaning and date formats), rows missing either left out."""
    parsed, _ = _by_value(chunk.get_column(day), _date, pl.Date())
    return chunk.select(
        pl.col("_row"),
        _child_id(_clean(child)).alias("child"),
        parsed.alias("date"),
    ).drop_nulls()


@dataclass
class Normalised:
    frame: pl.DataFrame  # typed columns + "_row", only the rows without errors
    rows_read: int


@dataclass
class Prepared:
    """A block checked on its own (every row, typed and pseudonymised), before the checks
    that need the blocks before it (duplicates)."""

    frame: pl.DataFrame
    bad: pl.Series
    issues: Issues
    rows_read: int


class ChunkNormaliser:
    """Normalises the chunks of one recognised list, remembering rows seen (duplicates).

    A row equal to another of its block is reported when the block is finished; one equal
    to a row of an earlier block, by :meth:`later_duplicates` once the list is read (the
    rows' hashes are kept on disk, not in memory). Rows are compared by a 64-bit hash of
    their normalised values: two different rows of a list of n rows are taken for
    duplicates with odds of about n²/2^65 (one in 4·10^7 for a million rows, one in
    4·10^5 for ten million)."""

    def __init__(
        self,
        spec: ListSpec,
        sheet: str,
        headers: list[str],
        columns: dict[str, str],
        pseudonymiser: Pseudonymiser,
        collection_year: int | None,
        issues: Issues,
        seen: Spill,
        excluded: pl.Series | None = None,
    ) -> None:
        self.spec = spec
        self.sheet = sheet
        self.headers = headers
        self.columns = columns
        self.pseudo = pseudonymiser
        self.year = collection_year
        self.issues = issues
        self.seen = seen  # row hashes of the blocks finished, on disk (``key``, ``_row``)
        self.excluded = excluded  # rows left out without a report (known duplicates)

    def _codes_for(self, fld: Field) -> cl.CodeList:
        assert fld.codes is not None
        return cl.for_year(fld.codes, self.year)

    def _unknown_codes(self, issues: Issues, unknown: pl.DataFrame, fld: Field) -> None:
        """One warning per row (listed up to the limit, the rest counted), naming the row,
        the column and the code (a code identifies no one), never the child."""
        codes = self._codes_for(fld)
        room = max(ISSUE_LIMIT - len(issues.warnings), 0)
        listed = unknown.head(room)
        code = cl.lenient_code_expr(_cleaned(pl.col(f"raw_{fld.name}")))
        # only what looks like a code is shown: free text (a name typed in the wrong
        # column) is never echoed
        shown = listed.select(
            pl.when(code.str.contains(r"^[A-Z0-9]{1,6}$")).then(code).otherwise(None)
        ).to_series()
        reasons = {c: cl.unknown_reason(c, codes, self.year) for c in set(shown.to_list())}
        for row, code in zip(listed["_row"].to_list(), shown.to_list(), strict=True):
            issues.add("warning", self.sheet, row, self._header(fld), reasons[code])
        issues.warning_count += unknown.height - listed.height

    def _by_value_rule(self, fld: Field) -> tuple[Callable[[pl.Expr], pl.Expr], pl.DataType] | None:
        """How a kind that repeats a lot is converted once per distinct value (cleaning
        included); ``None`` for the kinds read row by row (identifiers, free text)."""
        if fld.kind == "date":
            return _date, pl.Date()
        if fld.kind == "code":
            codes = self._codes_for(fld)
            return (lambda e: cl.code_expr(e, codes)), pl.String()
        if fld.kind == "lenient_code":
            return (lambda e: cl.lenient_code_expr(e).str.slice(0, 4)), pl.String()
        if fld.kind == "int":
            return (
                lambda e: e.cast(pl.Float64, strict=False).cast(pl.Int32, strict=False)
            ), pl.Int32()
        if fld.kind == "team":
            return _slug, pl.String()
        return None

    def _header(self, fld: Field) -> str:
        return self.headers[int(self.columns[fld.name][1:])]

    def normalise(self, chunk: pl.DataFrame) -> Normalised:
        return self.finish(self.prepare(chunk))

    def finish(self, prepared: Prepared) -> Normalised:
        """The in-order part: the block's issues after the earlier blocks', then duplicates
        within the block. Blocks must be finished in file order."""
        self.issues.extend(prepared.issues)
        bad = prepared.bad | self._duplicates(prepared.frame)
        if self.excluded is not None:
            bad = bad | prepared.frame.get_column("_row").is_in(self.excluded.implode())
        return Normalised(frame=prepared.frame.filter(~bad), rows_read=prepared.rows_read)

    def prepare(self, chunk: pl.DataFrame) -> Prepared:
        """The part that needs no other block: safe to run for several blocks at once."""
        issues = Issues()
        present = [f for f in self.spec.fields if f.name in self.columns]
        rules = {f.name: self._by_value_rule(f) for f in present}
        # raw_<field>: the cell's text, cleaned here unless the kind converts by value
        raw = chunk.select(
            pl.col("_row").cast(pl.UInt32),
            *(
                (
                    pl.col(self.columns[f.name]) if rules[f.name] else _clean(self.columns[f.name])
                ).alias(f"raw_{f.name}")
                for f in present
            ),
        )
        typed: list[pl.Series] = []
        missing: dict[str, pl.Series] = {}
        for f in present:
            src = raw[f"raw_{f.name}"]
            rule = rules[f.name]
            if rule is not None:
                value, missing[f.name] = _by_value(src, *rule)
            else:
                child = f.kind == "child"
                value = raw.select(_child_id(pl.col(src.name))).to_series() if child else src
                missing[f.name] = src.is_null()
            typed.append(value.alias(f.name))
        frame = raw.with_columns(typed)
        bad = pl.Series("bad", [False] * frame.height)
        for f in present:
            value, absent = frame[f.name], missing[f.name]
            if f.required and f.blank_kept:
                if absent.any():
                    rows = frame.filter(absent)["_row"]
                    reason = "missing value: kept as not known"
                    issues.add_rows("warning", self.sheet, rows, self._header(f), reason)
            elif f.required:
                bad = bad | self._report(issues, frame, absent, f, "missing value")
            if f.kind == "date":
                bad = bad | self._report(
                    issues,
                    frame,
                    ~absent & value.is_null(),
                    f,
                    "not a date (expected dd/mm/yyyy, yyyy-mm-dd or an Excel date)",
                )
            elif f.kind == "int":
                bad = bad | self._report(
                    issues, frame, ~absent & value.is_null(), f, "not a whole number"
                )
            elif f.kind == "code":
                # unknown, or retired in this collection year: a warning; the row is kept
                # with the field "not known" (null) and still counts where it is counted
                unknown = ~absent & value.is_null()
                if unknown.any():
                    self._unknown_codes(issues, frame.filter(unknown), f)
            elif f.kind == "lenient_code" and f.codes is not None:
                unknown = value.is_not_null() & ~value.is_in(sorted(f.codes.codes))
                for row, code in zip(
                    frame.filter(unknown)["_row"].to_list(),
                    frame.filter(unknown)[f.name].to_list(),
                    strict=True,
                ):
                    issues.add(
                        "warning",
                        self.sheet,
                        row,
                        self._header(f),
                        f"unknown code {code!r} for {f.codes.name} (kept)",
                    )
        bad = bad | self._cross_checks(issues, frame)
        frame = frame.select("_row", *(f.name for f in present))
        frame = self._pseudonymise(frame)
        return Prepared(frame=frame, bad=bad, issues=issues, rows_read=chunk.height)

    def _report(
        self, issues: Issues, frame: pl.DataFrame, mask: pl.Series, fld: Field, reason: str
    ) -> pl.Series:
        if mask.any():
            rows = frame.filter(mask)["_row"]
            issues.add_rows("error", self.sheet, rows, self._header(fld), reason)
        return mask

    def _cross_checks(self, issues: Issues, frame: pl.DataFrame) -> pl.Series:
        pairs = {
            "authorised_date": "start_date",
            "end_date": "start_date",
            "icpc_date": "s47_date",
        }
        bad = pl.Series("bad", [False] * frame.height)
        for later, earlier in pairs.items():
            if later in frame.columns and earlier in frame.columns:
                mask = (frame[later] < frame[earlier]).fill_null(False)
                if mask.any():
                    fld = next(f for f in self.spec.fields if f.name == later)
                    self._report(issues, frame, mask, fld, f"before {earlier.replace('_', ' ')}")
                    bad = bad | mask
        return bad

    def _pseudonymise(self, frame: pl.DataFrame) -> pl.DataFrame:
        replaced = [self.pseudo.child_column(frame["child"])]
        if "worker" in frame.columns:
            replaced.append(self.pseudo.staff_column(frame["worker"]))
        return frame.with_columns(replaced)

    def _duplicates(self, frame: pl.DataFrame) -> pl.Series:
        hashes = frame.drop("_row").hash_rows(seed=7)
        dup = hashes.is_duplicated() & ~hashes.is_first_distinct()
        self.seen.add(pl.DataFrame([hashes.alias("key"), frame.get_column("_row")]).filter(~dup))
        if dup.any():
            rows = frame.filter(dup)["_row"]
            self.issues.add_rows("error", self.sheet, rows, None, "duplicate of an earlier row")
        return dup

    def later_duplicates(self) -> pl.Series:
        """Rows equal to a row of an earlier block, in row order, reported as errors.
        Called once, after the last block: one part of the hashes in memory at a time."""
        found = [
            part.filter(pl.col("key").is_duplicated())
            .filter(pl.col("_row") != pl.col("_row").min().over("key"))
            .get_column("_row")
            for part in self.seen.parts_read()
        ]
        rows = pl.concat(found).sort() if found else pl.Series("_row", [], dtype=pl.UInt32)
        if rows.len():
            self.issues.add_rows("error", self.sheet, rows, None, "duplicate of an earlier row")
        return rows
