"""What each list of an export holds: its columns (found by header text) and their kinds.

A list is recognised by its headers, never by its number or sheet name: older Annex A files
number the lists differently. Header text is compared after :func:`header_key` (Unicode
folding, non-breaking spaces, case, spacing and punctuation forgiven).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from services.kpis.imports import codes as cl

Kind = Literal["child", "date", "code", "lenient_code", "int", "team", "staff", "text"]


def header_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", str(text)).replace("\xa0", " ").casefold()
    folded = re.sub(r"[^0-9a-z]+", " ", folded)
    return " ".join(folded.split())


@dataclass(frozen=True)
class Field:
    name: str
    headers: tuple[str, ...]
    kind: Kind
    required: bool = False
    codes: cl.CodeList | None = None
    #: the column must be there, but a blank cell is "not known" (a warning, the row kept):
    #: the row can still be placed (it has its child and its date)
    blank_kept: bool = False

    def keys(self) -> tuple[str, ...]:
        return tuple(header_key(h) for h in self.headers)


@dataclass(frozen=True)
class ListSpec:
    name: str  # the child-level table it fills
    label: str
    #: every one of these header keys must be present for the list to be recognised
    signature: tuple[str, ...]
    fields: tuple[Field, ...]
    #: the date that places a flow in a month; the span of these dates sets the months
    #: an Annex A import computes (episodes, counted as snapshots, have none)
    event_date: str | None = None

    def signature_keys(self) -> tuple[str, ...]:
        return tuple(header_key(h) for h in self.signature)


CHILD = Field("child", ("Child Unique ID", "Child ID", "CHILD"), "child", required=True)
TEAM = Field("team", ("Allocated Team", "Team"), "team")
WORKER = Field("worker", ("Allocated Worker", "Worker", "Social Worker"), "staff")


ANNEX_A: tuple[ListSpec, ...] = (
    ListSpec(
        "contact",
        "contacts",
        ("Date of Contact",),
        (
            CHILD,
            Field("contact_date", ("Date of Contact",), "date", required=True),
            Field("source", ("Contact Source",), "code", codes=cl.SOURCE),
            TEAM,
            WORKER,
        ),
        "contact_date",
    ),
    ListSpec(
        "referral",
        "referrals",
        ("Date of Referral",),
        (
            CHILD,
            Field("referral_date", ("Date of Referral",), "date", required=True),
            Field("source", ("Referral Source",), "code", codes=cl.SOURCE),
            Field("nfa", ("Referral NFA", "Referral NFA?"), "code", codes=cl.YES_NO),
            Field(
                "previous_12m",
                ("Number of Referrals in Last 12 Months",),
                "int",
            ),
            TEAM,
            WORKER,
        ),
        "referral_date",
    ),
    ListSpec(
        "assessment",
        "assessments",
        ("Continuous Assessment Start Date",),
        (
            CHILD,
            Field("start_date", ("Continuous Assessment Start Date",), "date", required=True),
            Field(
                "authorised_date",
                ("Continuous Assessment Date of Authorisation",),
                "date",
            ),
            TEAM,
            WORKER,
        ),
        "authorised_date",
    ),
    ListSpec(
        "s47",
        "section 47 enquiries and ICPCs",
        ("Strategy discussion initiating Section 47 Enquiry Start Date",),
        (
            CHILD,
            Field(
                "s47_date",
                ("Strategy discussion initiating Section 47 Enquiry Start Date",),
                "date",
                required=True,
            ),
            Field(
                "icpc_unnecessary",
                ("Was an Initial Child Protection Conference deemed unnecessary?",),
                "code",
                codes=cl.YES_NO,
            ),
            Field("icpc_date", ("Date of Initial Child Protection Conference",), "date"),
            Field(
                "transfer_in",
                ("Transfer in", "Was the ICPC a transfer in conference", "Transfer-in ICPC"),
                "code",
                codes=cl.YES_NO,
            ),
            TEAM,
            WORKER,
        ),
        "s47_date",
    ),
    ListSpec(
        "cin_episode",
        "children in need",
        ("CIN Start Date",),
        (
            CHILD,
            Field("start_date", ("CIN Start Date",), "date", required=True),
            Field("end_date", ("CIN Closure Date",), "date"),
            TEAM,
            WORKER,
        ),
    ),
    ListSpec(
        "cp_plan",
        "child protection plans",
        ("Child Protection Plan Start Date",),
        (
            CHILD,
            Field("start_date", ("Child Protection Plan Start Date",), "date", required=True),
            Field("end_date", ("Child Protection Plan End Date",), "date"),
            Field("category", ("Initial Category of Abuse",), "code", codes=cl.CP_CATEGORY),
            Field("previous_plans", ("Number of Previous Child Protection Plans",), "int"),
            TEAM,
            WORKER,
        ),
        "start_date",
    ),
    ListSpec(
        "cla_episode",
        "children in care",
        ("Date Started to be Looked After",),
        (
            CHILD,
            Field("start_date", ("Date Started to be Looked After",), "date", required=True),
            Field("end_date", ("Date Ceased to be Looked After",), "date"),
            Field(
                "legal_status",
                ("Child's Legal Status", "Legal Status"),
                "code",
                required=True,
                codes=cl.LEGAL_STATUS,
                blank_kept=True,
            ),
            TEAM,
            WORKER,
        ),
    ),
    ListSpec(
        "care_leaver",
        "care leavers",
        ("Eligibility Category",),
        (
            CHILD,
            Field("in_touch", ("LA in Touch",), "code", codes=cl.IN_TOUCH),
            Field(
                "suitability",
                ("Suitability of Accommodation",),
                "code",
                codes=cl.SUITABILITY,
            ),
            Field("activity", ("Activity Status",), "code", codes=cl.ACTIVITY_BEFORE),
            TEAM,
            WORKER,
        ),
    ),
)

#: Annex A lists read but not used by the indicators (reported as warnings).
ANNEX_A_IGNORED = {
    "early help assessments": ("Organisation completing assessment",),
    "adoption": ("Date of Decision that Child Should be Placed for Adoption",),
    "adopters": ("Individual adopter identifier",),
}

SSDA903: tuple[ListSpec, ...] = (
    ListSpec(
        "cla_episode",
        "episodes",
        ("CHILD", "DECOM", "LS"),
        (
            CHILD,
            Field("start_date", ("DECOM",), "date", required=True),
            Field("end_date", ("DEC",), "date"),
            Field(
                "legal_status",
                ("LS",),
                "code",
                required=True,
                codes=cl.LEGAL_STATUS,
                blank_kept=True,
            ),
        ),
    ),
    ListSpec(
        "care_leaver",
        "oc3",
        ("CHILD", "IN_TOUCH"),
        (
            CHILD,
            Field("in_touch", ("IN_TOUCH",), "code", codes=cl.IN_TOUCH),
            Field("activity", ("ACTIV",), "code", codes=cl.ACTIVITY_BEFORE),
            Field("accommodation", ("ACCOM",), "lenient_code", codes=cl.ACCOMMODATION),
        ),
    ),
)

SSDA903_IGNORED = {
    "header": ("CHILD", "SEX", "ETHNIC"),
    "reviews": ("CHILD", "REVIEW"),
    "oc2": ("CHILD", "SDQ_SCORE"),
    "missing": ("CHILD", "MIS_START"),
    "uasc": ("CHILD", "DUC"),
}
