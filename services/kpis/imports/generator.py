"""Synthetic case-management exports, as messy as real ones, for tests and benchmarks.

Deterministic for a seed. Rows are unique by construction (each child's referrals fall in
separate date bands, and an assessment starts within its referral's band), so a generated
file of any size imports without duplicate-row errors. The mess:
dates as dd/mm/yyyy, ISO or Excel serial numbers; codes as ``q) 6: Police`` or plain
``6``; ``#N/A`` for missing genders; non-breaking spaces in some workers' names.

    python -m services.kpis.imports.generator --rows 100000 --out /tmp/annex-a
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

SOURCES = {
    "1B": "b) 1B: Individual",
    "2A": "e) 2A: Schools",
    "3D": "j) 3D: Health services",
    "5A": "m) 5A: LA services - social care",
    "6": "q) 6: Police",
    "8": "s) 8: Other",
    "9": "t) 9: Anonymous",
}
FIRST_NAMES = ("Alex", "Sam", "Jo", "Priya", "Tomasz", "Aisha", "Kim", "Lee", "Morgan", "Ola")
SURNAMES = ("Smith", "Khan", "Jones", "Nowak", "Evans", "Patel", "Brown", "Okafor")
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Shape:
    rows: int = 10_000
    children: int | None = None  # default: rows / 1.3
    months: int = 12
    teams: int = 20
    workers_per_team: int = 8
    first_day: date = date(2022, 4, 1)
    seed: int = 1


def _rand(i: pl.Expr, salt: int, seed: int, modulo: int) -> pl.Expr:
    return (i.hash(seed * 1000 + salt) % modulo).cast(pl.Int64)


def _messy_date(day: pl.Expr, pick: pl.Expr) -> pl.Expr:
    serial = (day - pl.lit(EXCEL_EPOCH)).dt.total_days().cast(pl.String)
    return (
        pl.when(pick == 0)
        .then(day.dt.strftime("%d/%m/%Y"))
        .when(pick == 1)
        .then(day.dt.strftime("%Y-%m-%d"))
        .otherwise(serial)
    )


def _base(shape: Shape) -> pl.DataFrame:
    n = shape.rows
    children = shape.children or max(1, int(n / 1.3))
    per_child = math.ceil(n / children)
    days = shape.months * 30
    band = max(1, days // per_child)
    i = pl.col("i")
    s = shape.seed
    team_no = (i % children) % shape.teams
    worker_no = _rand(i % children, 5, s, shape.workers_per_team)
    first = _rand(team_no * 31 + worker_no, 6, s, len(FIRST_NAMES))
    last = _rand(team_no * 17 + worker_no, 7, s, len(SURNAMES))
    names = pl.format(
        "{} {}", pl.lit(list(FIRST_NAMES)).list.get(first), pl.lit(list(SURNAMES)).list.get(last)
    )
    return pl.DataFrame({"i": pl.int_range(0, n, eager=True)}).with_columns(
        child=(i % children + 1_000_000),
        day=pl.lit(shape.first_day)
        + pl.duration(days=(i // children) * band + _rand(i, 1, s, band)),
        band_end=pl.lit(shape.first_day) + pl.duration(days=(i // children) * band + band - 1),
        team=pl.format("Locality {} Team", team_no + 1),
        worker=pl.when(_rand(i % children, 8, s, 4) == 0)
        .then(pl.format("{}\u00a0{}{}", names, team_no, worker_no))
        .otherwise(pl.format("{} {}{}", names, team_no, worker_no)),
        fmt=_rand(i, 2, s, 3),
    )


def referrals(shape: Shape) -> pl.DataFrame:
    s = shape.seed
    i = pl.col("i")
    codes = list(SOURCES)
    code = pl.lit(codes).list.get(_rand(i, 3, s, len(codes)))
    labelled = code.replace_strict(SOURCES, default=code)
    return _base(shape).select(
        pl.col("child").cast(pl.String).alias("Child Unique ID"),
        pl.when(_rand(i, 9, s, 50) == 0)
        .then(pl.lit("#N/A"))
        .otherwise(
            pl.when(_rand(i, 10, s, 2) == 0).then(pl.lit("a) Male")).otherwise(pl.lit("b) Female"))
        )
        .alias("Gender"),
        _messy_date(pl.col("day"), pl.col("fmt")).alias("Date of Referral"),
        pl.when(_rand(i, 4, s, 2) == 0).then(labelled).otherwise(code).alias("Referral Source"),
        pl.when(_rand(i, 11, s, 10) == 0)
        .then(pl.lit("Yes"))
        .otherwise(pl.lit("No"))
        .alias("Referral NFA?"),
        pl.lit("0").alias("Number of Referrals in Last 12 Months"),
        pl.col("team").alias("Allocated Team"),
        pl.col("worker").alias("Allocated Worker"),
    )


def assessments(shape: Shape, share_percent: int = 60) -> pl.DataFrame:
    """Assessments of ``share_percent`` of the referrals: started within 5 days, authorised
    5 to 75 days later."""
    s = shape.seed
    i = pl.col("i")
    base = _base(shape).filter(_rand(i, 12, s, 100) < share_percent)
    # within the referral's band: a child's two assessments never start on the same day
    start = pl.min_horizontal(pl.col("day") + pl.duration(days=_rand(i, 13, s, 5)), "band_end")
    done = start + pl.duration(days=5 + _rand(i, 14, s, 70))
    return base.select(
        pl.col("child").cast(pl.String).alias("Child Unique ID"),
        pl.lit("b) No").alias("Does the Child have a Disability"),
        _messy_date(start, pl.col("fmt")).alias("Continuous Assessment Start Date"),
        _messy_date(done, pl.col("fmt")).alias("Continuous Assessment Date of Authorisation"),
        pl.col("team").alias("Allocated Team"),
        pl.col("worker").alias("Allocated Worker"),
    )


def contacts(shape: Shape) -> pl.DataFrame:
    s = shape.seed
    i = pl.col("i")
    codes = list(SOURCES)
    code = pl.lit(codes).list.get(_rand(i, 15, s, len(codes)))
    return _base(shape).select(
        pl.col("child").cast(pl.String).alias("Child Unique ID"),
        _messy_date(pl.col("day"), pl.col("fmt")).alias("Date of Contact"),
        code.replace_strict(SOURCES, default=code).alias("Contact Source"),
    )


def write_csvs(shape: Shape, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "referrals.csv", folder / "assessments.csv"]
    referrals(shape).write_csv(paths[0])
    assessments(shape).write_csv(paths[1])
    return paths


def write_workbook(shape: Shape, path: Path) -> Path:
    """An Annex A workbook: List 1 contacts, List 3 referrals, List 4 assessments, sharing
    ``shape.rows`` between them (40 %, 35 %, the rest)."""
    from openpyxl import Workbook

    n = shape.rows
    parts = {
        "List 1": contacts(Shape(**{**shape.__dict__, "rows": n * 40 // 100})),
        "List 3": referrals(Shape(**{**shape.__dict__, "rows": n * 35 // 100})),
    }
    rest = n - sum(f.height for f in parts.values())
    parts["List 4"] = assessments(Shape(**{**shape.__dict__, "rows": rest}), share_percent=100)
    book = Workbook(write_only=True)
    for name, frame in parts.items():
        sheet = book.create_sheet(name)
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--xlsx", action="store_true", help="an Annex A workbook, not CSVs")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    shape = Shape(rows=args.rows, months=args.months, teams=args.teams, seed=args.seed)
    if args.xlsx:
        print(write_workbook(shape, args.out / "annex_a.xlsx"))
    else:
        for path in write_csvs(shape, args.out):
            print(path)


if __name__ == "__main__":
    main()
