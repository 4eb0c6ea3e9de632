"""The standard audit tool and the plan's audit programmes: ``python -m services.audit.seed``.

Run by ``make run``. Idempotent: the tool (by code) and each programme (by title) are added
only when missing, so a second run changes nothing. Connects as the service's own role
(``AUDIT_DATABASE_URL``); what it adds is recorded in the trail as the ``audit-seed`` client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import events
from services.audit.config import AuditSettings
from services.audit.programmes import repository as programmes
from services.audit.tools import repository as tools
from services.audit.tools.schemas import ToolCreate
from services.audit.trail.signing import CheckpointSigner
from shared.db import create_engine, create_sessionmaker
from shared.identity import Caller
from shared.logs import configure_logging, get_logger

log = get_logger("audit.seed")
SEED = Caller(
    "audit-seed",
    "council",
    scopes=frozenset({"audit:write"}),
    client_id="audit-seed",
    kind="client",
)

STANDARD_TOOL = ToolCreate.model_validate(
    {
        "code": "QALF-CASE",
        "title": "Quality Assurance and Learning Framework: case audit",
        "sections": [
            {
                "code": "JOURNEY",
                "title": "The child's journey",
                "questions": [
                    {
                        "code": "J1",
                        "text": "Was the right service provided at the right time?",
                        "answer_type": "yes_no",
                        "guidance": "Thresholds applied as the continuum of need sets out",
                    },
                    {
                        "code": "J2",
                        "text": "Was the child seen, and seen alone where appropriate?",
                        "answer_type": "yes_no",
                    },
                    {
                        "code": "J3",
                        "text": "Is the child's voice recorded and does it shape the plan?",
                        "answer_type": "grade",
                    },
                ],
            },
            {
                "code": "PRACTICE",
                "title": "Assessment, planning and management oversight",
                "questions": [
                    {"code": "P1", "text": "Quality of the assessment", "answer_type": "grade"},
                    {
                        "code": "P2",
                        "text": "Is the plan SMART and reviewed in timescale?",
                        "answer_type": "grade",
                    },
                    {
                        "code": "P3",
                        "text": "Management oversight and supervision",
                        "answer_type": "grade",
                    },
                    {
                        "code": "P4",
                        "text": "Multi-agency working",
                        "answer_type": "choice",
                        "options": [
                            "effective",
                            "partly effective",
                            "not effective",
                            "not applicable",
                        ],
                    },
                ],
            },
            {
                "code": "LEARNING",
                "title": "Learning",
                "questions": [
                    {
                        "code": "L1",
                        "text": "What worked well",
                        "answer_type": "text",
                        "required": False,
                    },
                    {
                        "code": "L2",
                        "text": "What needs to change",
                        "answer_type": "text",
                        "required": False,
                    },
                ],
            },
        ],
    }
)

#: (title, scope, sampling rule, size, schedule, lead, partners, plan actions)
PROGRAMMES: list[tuple[str, str, str, int, str, str, list[str], list[str]]] = [
    (
        "Front-door threshold audit",
        "Contacts and referrals at the Integrated Front Door (MASH)",
        "random sample of the month's contacts",
        20,
        "monthly",
        "council",
        [],
        ["5A1"],
    ),
    (
        "Statutory assessment audit",
        "Single assessments completed in the month",
        "random sample of completed assessments",
        10,
        "monthly",
        "council",
        [],
        ["5A2"],
    ),
    (
        "Early-help assessment audit",
        "Early help assessments (EHM)",
        "random sample of completed assessments",
        10,
        "monthly",
        "council",
        [],
        ["5A3"],
    ),
    (
        "Multi-agency CSE audit at MACSE",
        "Children discussed at the multi-agency CSE panel",
        "cases chosen by the MACSE chair",
        6,
        "quarterly",
        "council",
        ["police", "ccg"],
        ["5B3"],
    ),
    (
        "Contacts and CSE screening tool audit",
        "Contacts where CSE risk was screened",
        "all screenings in a sample week",
        15,
        "quarterly",
        "council",
        ["police"],
        ["5B5"],
    ),
    (
        "PEP dip sample",
        "Personal education plans of children in care",
        "dip sample across schools",
        10,
        "termly",
        "council",
        [],
        ["5C2"],
    ),
    (
        "Health-assessment dip sample",
        "Initial and review health assessments of children in care",
        "dip sample",
        10,
        "quarterly",
        "council",
        ["ccg"],
        ["5C4"],
    ),
    (
        "NPS in-house safeguarding audit",
        "Probation cases with children safeguarding concerns",
        "random sample of cases",
        10,
        "quarterly",
        "probation",
        [],
        ["2B2"],
    ),
]


async def seed(session: AsyncSession, signer: CheckpointSigner) -> int:
    events.bind(session, events.TrailWriter(signer=signer))
    added = 0
    if await tools.latest_version(session, STANDARD_TOOL.code) == 0:
        tool = await tools.add(
            session,
            code=STANDARD_TOOL.code,
            version=1,
            title=STANDARD_TOOL.title,
            sections=[s.model_dump() for s in STANDARD_TOOL.sections],
            by=SEED.subject,
        )
        await events.emit(
            session,
            SEED,
            "audit_tool.created",
            "audit_tool",
            tool.tool_id,
            {"code": tool.code, "version": 1},
        )
        added += 1
    tool_id = (
        await tools.page(session, code=STANDARD_TOOL.code, latest_only=True, limit=1, offset=0)
    )[0][0].tool_id
    for title, scope, rule, size, schedule, lead, partners, actions in PROGRAMMES:
        if await programmes.by_title(session, title) is not None:
            continue
        values: dict[str, Any] = {
            "title": title,
            "tool_id": tool_id,
            "scope": scope,
            "sampling_rule": rule,
            "sample_size": size,
            "schedule": schedule,
            "lead_agency": lead,
            "participating_agencies": [lead, *partners],
            "linked_actions": actions,
        }
        made = await programmes.add(session, values)
        await events.emit(
            session,
            SEED,
            "audit_programme.created",
            "audit_programme",
            made.programme_id,
            {"title": title},
        )
        added += 1
    return added


async def run(settings: AuditSettings) -> int:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            added = await seed(session, CheckpointSigner.from_settings(settings))
            await session.commit()
    finally:
        await engine.dispose()
    log.info("seed.loaded" if added else "seed.present", added=added)
    return added


def main() -> None:
    settings = AuditSettings()
    configure_logging(settings.log_level, json=settings.json_logs, service="audit-seed")
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
