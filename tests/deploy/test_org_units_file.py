"""The organisation tree file the production bootstrap loads (issue 19, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kpis.provision import TreeError, authority_of, read_tree

ROOT = Path(__file__).resolve().parents[2]
HEADER = "code,level,parent,name\n"


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + body)
    return path


def test_the_wirral_example_is_a_tree_under_one_authority() -> None:
    units = read_tree(ROOT / "deploy" / "examples" / "wirral-org-units.csv")
    assert authority_of(units) == "WIRRAL"
    assert len(units) == 13
    assert [u.level for u in units][:1] == ["authority"]  # parents first


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("A,authority,,A\nB,authority,,B\n", "exactly one authority"),
        ("A,authority,,A\nT,team,X,T\n", "parent X is not in the file"),
        (
            "A,authority,,A\nL,locality,A,L\nS,service,L,S\n",
            "a service cannot sit under a locality",
        ),
        ("A,authority,,A\nS,service,A,S\nS,service,A,S2\n", "listed twice"),
        ("A,authority,,A\nW,worker,A,W\n", "level must be one of"),
        ("A,authority,,A\nS,service,A,\n", "name must be"),
    ],
)
def test_a_wrong_tree_is_refused_naming_why(tmp_path: Path, body: str, reason: str) -> None:
    with pytest.raises(TreeError, match=reason):
        read_tree(_file(tmp_path, body))


def test_a_file_without_the_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("A,authority,,A\n")
    with pytest.raises(TreeError, match="first line"):
        read_tree(path)
