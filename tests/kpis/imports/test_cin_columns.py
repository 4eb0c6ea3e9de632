"""The columnar CIN census reader (``cin_fast``) gives the streaming reader's answer exactly:
the same problems (position, element, reason, in order), the same rows in every list, the
same repeated children, on clean files written several ways and on files broken at random.

Where the columnar reader cannot be sure (a comment, an attribute, a file lxml refuses) it
says so and the import reads the file with the streaming reader: the answer is then the
streaming reader's by construction, and these tests check the import's answer is.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from lxml import etree

from services.kpis.imports import cin_generator, cin_pipeline
from services.kpis.imports.cin_tokens import NotSimple
from services.kpis.imports.pipeline import Outcome, Upload
from services.kpis.imports.pseudonymise import Pseudonymiser

PSEUDO = Pseudonymiser("test-pseudonymisation-key-0123456789abcdef")


def _answer(path: Path, folder: Path, how: str) -> dict[str, Any]:
    """What a read gives: ``how`` is ``stream``, ``columns`` (the columnar reader alone:
    :class:`NotSimple` propagates) or ``import`` (the import's choice)."""
    outcome = Outcome()
    upload = Upload(path=path, name="census.xml")
    folder.mkdir()
    if how == "import":
        read = cin_pipeline._read(upload, folder, PSEUDO, outcome, None, None)
    else:
        read = cin_pipeline._read_with(
            upload, folder, PSEUDO, outcome, None, None, columnar=how == "columns"
        )
    answer: dict[str, Any] = {
        "issues": outcome.issues.errors,
        "count": outcome.issues.error_count,
        "read": outcome.rows_read,
        "structural": outcome.structural,
        "year": outcome.collection_year,
    }
    if read is not None:
        files, left_out = read
        answer["left_out"] = left_out.to_list()
        for name in cin_pipeline.SCHEMAS:
            frames = list(files.frames(name, 10**9))
            answer[name] = pl.concat(frames) if frames else None
    return answer


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, pl.DataFrame):
            assert value.equals(b[key]), key
        else:
            assert value == b[key], key


def _census(children: int, seed: int) -> str:
    data = cin_generator.census_bytes(2023, cin_generator.children(children, 2023, seed=seed))
    return data.decode()


def _pretty(text: str) -> str:
    root = etree.fromstring(text.encode())
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode()


def _prefixed(text: str) -> str:
    text = re.sub(r"<(/?)([A-Za-z]\w*)", r"<\1cin:\2", text)
    return text.replace("<cin:Message>", '<cin:Message xmlns:cin="http://example.org/cin">', 1)


def _default_namespace(text: str) -> str:
    return text.replace("<Message>", '<Message xmlns="http://example.org/cin">', 1)


@pytest.mark.parametrize(
    "write",
    [lambda t: t, _pretty, _prefixed, _default_namespace],
    ids=["compact", "indented", "prefixed", "default-namespace"],
)
def test_a_clean_census_is_read_by_columns_as_by_the_stream(
    tmp_path: Path, write: Callable[[str], str]
) -> None:
    path = tmp_path / "census.xml"
    path.write_text(write(_census(2_500, seed=3)), encoding="utf-8")
    columns = _answer(path, tmp_path / "c", "columns")
    assert columns["count"] == 0
    assert columns["read"] == 2_500
    _same(columns, _answer(path, tmp_path / "s", "stream"))


#: changes inside one child, each one the columnar reader must hand to ``_Child``
IN_CHILD: list[tuple[str, str]] = [
    (r"<ReferralSource>(\w+)<", r"<ReferralSource>zz<"),  # unknown code
    (r"<ReferralSource>(\w+)<", r"<ReferralSource> \1 <"),  # spaces around a good code
    (r"<ReferralSource>(\w+)<", r"<ReferralSource>\1x<"),
    (r"<PrimaryNeedCode>N1<", r"<PrimaryNeedCode>n1<"),  # lower case: good once folded
    (r"<ReasonForClosure>RC1<", r"<ReasonForClosure>RC0<"),
    (r"<CINreferralDate>(\d{4})-(\d\d)-(\d\d)<", r"<CINreferralDate>\1-\2-32<"),
    (r"<CINreferralDate>([\d-]+)<", r"<CINreferralDate>\1T09:00:00<"),  # a time after it
    (r"<CINreferralDate>([\d-]+)<", r"<CINreferralDate> \1<"),
    (r"<CINreferralDate>(\d)", r"<CINreferralDate>&#x3\1;"),  # a character reference
    (r"<CINreferralDate>[\d-]+</CINreferralDate>", r""),  # a required date missing
    (r"<CINreferralDate>[\d-]+</CINreferralDate>", r"<CINreferralDate/>"),
    (r"<CINreferralDate>([\d-]+)<", r"<CINreferralDate>1899-12-31<"),
    (r"<CINclosureDate>[\d-]+<", r"<CINclosureDate>2000-01-01<"),  # before the referral
    (r"<ReferralNFA>false<", r"<ReferralNFA>FALSE<"),
    (r"<ReferralNFA>false<", r"<ReferralNFA>maybe<"),
    (r"<ReferralNFA>false<", r"<ReferralNFA>0<"),
    (r"<ReferralNFA>false</ReferralNFA>", r"<ReferralNFA/>"),
    (r"<Disability>(\w+)<", r"<Disability><"),
    (r"<Disability>(\w+)<", r"<Disability>mob<"),
    (r"<Disabilities>", r"<Disabilities><Disability>AUT</Disability>"),
    (r"<AssessmentFactors>(\w+)<", r"<AssessmentFactors>99Z<"),
    (
        r"<FactorsIdentifiedAtAssessment>",
        r"<AssessmentFactors>2B</AssessmentFactors><FactorsIdentifiedAtAssessment>",
    ),
    (
        r"</FactorsIdentifiedAtAssessment>",
        r"</FactorsIdentifiedAtAssessment><FactorsIdentifiedAtAssessment><AssessmentFactors>1B</AssessmentFactors></FactorsIdentifiedAtAssessment>",
    ),
    (r"<AssessmentActualStartDate>[\d-]+</AssessmentActualStartDate>", r""),
    (r"<AssessmentAuthorisationDate>[\d-]+<", r"<AssessmentAuthorisationDate>2001-01-01<"),
    (r"<ReferralSource>", r"<ReferralSource>1A</ReferralSource><ReferralSource>"),  # twice
    (r"<LAchildID>[^<]*</LAchildID>", r""),
    (r"<LAchildID>([^<]*)<", r"<LAchildID> \1 <"),
    (r"<LAchildID>([^<]*)<", r"<LAchildID>\1 &amp; 2<"),
    (r"<ChildIdentifiers>", r"<ChildIdentifiers><LAchildID>X9</LAchildID>"),
    (
        r"</ChildIdentifiers>",
        r"</ChildIdentifiers><ChildIdentifiers><LAchildID>Y</LAchildID></ChildIdentifiers>",
    ),
    (r"<CINreferralDate>([\d-]+)<", r"<CINreferralDate>\1<Extra/><"),  # an element in a leaf
    (r"<CINdetails>", r"<CINdetails><Extra><CINreferralDate>x</CINreferralDate></Extra>"),
    (r"<ChildCharacteristics>", r"<Other><CINdetails/></Other><ChildCharacteristics>"),
    (r"<CINdetails>", r"<Unknown>text</Unknown><CINdetails>"),  # read by columns, no flag
    (r"<CPPstartDate>", r"<NumberOfPreviousCPP>²</NumberOfPreviousCPP><CPPstartDate>"),
    (r"<NumberOfPreviousCPP>0<", r"<NumberOfPreviousCPP>0003<"),
    (r"<NumberOfPreviousCPP>0<", r"<NumberOfPreviousCPP>-1<"),
    (r"<NumberOfPreviousCPP>0<", r"<NumberOfPreviousCPP>12345678901<"),
    (r"<InitialCategoryOfAbuse>(\w+)<", r"<InitialCategoryOfAbuse>NE G<"),
    (r"<ICPCnotRequired>", r"<ICPCnotRequired>yes</ICPCnotRequired><ICPCnotRequired>"),
    (r"<DateOfInitialCPC>[\d-]+<", r"<DateOfInitialCPC>1999-01-01<"),
    (r"<S47ActualStartDate>[\d-]+</S47ActualStartDate>", r""),
    (r"<CPPendDate>[\d-]+<", r"<CPPendDate>1999-01-01<"),
    (r"<Child>", r"<Child/><Child>"),  # a child with nothing in it
]


def _break(text: str, rng: random.Random, changes: int) -> tuple[str, int]:
    """``changes`` random in-child changes, and one repeated ``LAchildID``; how many took."""
    lines = text.split("\n")
    took = 0
    for _ in range(changes):
        i = rng.randrange(1, len(lines) - 2)
        pattern, replacement = rng.choice(IN_CHILD)
        changed = re.sub(pattern, replacement, lines[i], count=1)
        took += changed != lines[i]
        lines[i] = changed
    ids = re.findall(r"<LAchildID>[^<]*<", "\n".join(lines))
    lines[-3] = re.sub(r"<LAchildID>[^<]*<", ids[5], lines[-3], count=1)
    return "\n".join(lines), took


@pytest.mark.parametrize("seed", range(8))
def test_broken_children_are_read_by_columns_as_by_the_stream(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    text, took = _break(_census(1_500, seed=seed), rng, changes=150)
    assert took > 60
    path = tmp_path / "census.xml"
    path.write_text(text if seed % 2 else _pretty(text), encoding="utf-8")
    columns = _answer(path, tmp_path / "c", "columns")  # no NotSimple: flagged children
    stream = _answer(path, tmp_path / "s", "stream")
    assert stream["count"] > 40
    _same(columns, stream)


#: changes the columnar reader refuses to read (the import then streams the file)
WHOLE_FILE: list[Callable[[str], str]] = [
    lambda t: t.replace("<CINdetails>", "<!-- a note --><CINdetails>", 1),
    lambda t: t.replace("<CINdetails>", "<?pi x?><CINdetails>", 1),
    lambda t: re.sub(r"<ReferralSource>(\w+)<", r"<ReferralSource><![CDATA[\1]]><", t, count=1),
    lambda t: t.replace("<CINdetails>", '<CINdetails id="a>b">', 1),
    lambda t: t.replace("<CINdetails>", "<CINdetails >", 1),
    lambda t: t[: len(t) * 2 // 3],  # truncated: lxml refuses it
    lambda t: t.replace("</Child>", "</Child><Stray/>", 1),
    lambda t: t.replace("</Children>", "</Children><Header/>", 1),
    lambda t: t.replace("<Child>", "<Child><Child></Child>", 1),  # a child in a child
    lambda t: t.replace("<ReferenceDate>2024-03-31", "<ReferenceDate>2024-13-31", 1),
    lambda t: t.replace('encoding="utf-8"', 'encoding="iso-8859-1"', 1),
    lambda t: t.replace("</Children>", "text</Children>", 1),
    lambda t: t.replace("<LAchildID>", "<LAchildID>\u00e9", 1),  # read by columns
    lambda t: t.replace("<Disability>", "<Disability>\x01", 1),  # lxml refuses it
]


@pytest.mark.parametrize("change", range(len(WHOLE_FILE)))
def test_what_columns_cannot_be_sure_of_is_streamed(tmp_path: Path, change: int) -> None:
    text, _ = _break(_census(600, seed=change), random.Random(change), changes=30)
    path = tmp_path / "census.xml"
    path.write_bytes(WHOLE_FILE[change](text).encode("utf-8"))
    _same(_answer(path, tmp_path / "i", "import"), _answer(path, tmp_path / "s", "stream"))


def test_a_file_with_comments_is_not_read_by_columns(tmp_path: Path) -> None:
    path = tmp_path / "census.xml"
    path.write_text(WHOLE_FILE[0](_census(50, seed=1)), encoding="utf-8")
    with pytest.raises(NotSimple):
        _answer(path, tmp_path / "c", "columns")


def test_a_file_with_no_end_of_child_is_left_to_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The columnar reader holds at most ``LONGEST_CHILD`` bytes waiting for a Child's
    end, then hands the file over (memory stays bounded whatever the file)."""
    from services.kpis.imports import cin_fast

    monkeypatch.setattr(cin_fast, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(cin_fast, "LONGEST_CHILD", 4096)
    text = _census(3, seed=2)
    last = text.rindex("<Child>")
    path = tmp_path / "census.xml"
    path.write_text(text[:last] + "<Child>" + "<Note>x</Note>" * 2000 + text[last + 7 :])
    with pytest.raises(NotSimple, match="no Child ends"):
        _answer(path, tmp_path / "c", "columns")
    _same(_answer(path, tmp_path / "i", "import"), _answer(path, tmp_path / "s", "stream"))
