"""What each way of reading a CIN census costs beside a bare ``lxml`` iterparse (issue 17).

    .venv/bin/python bench/imports/bench_cin_levers.py [--children 20000] [--repeat 3]

Generates a census (``cin_generator``) and times, in this process, each reader over the same
file, alternating them ``--repeat`` times (wall and CPU seconds, best of the runs):

- ``iterparse``: the benchmark's baseline (``bench_cin.bare_iterparse``);
- ``xslt``: iterparse keeping 1,000 children at a time, then a libxslt stylesheet flattening
  them to one text line per leaf (child, container, index, element, text), read by polars;
- ``xpath``: iterparse plus one compiled XPath per child giving every leaf's text;
- ``iter``: iterparse plus Python's ``iter()`` over every element of each child, reading
  its text (nothing kept);
- ``flat``: as ``iter``, each element's tag and text appended to two lists, turned into a
  polars frame every ~30,000 elements (the least a columnar reader in Python does);
- ``flat_parent``: as ``flat``, with each element's parent's tag (what makes a columnar
  reader exact: every element under the parent the schema gives it, or the child is checked
  the old way);
- ``tostring``: iterparse plus ``etree.tostring`` of each child (the C serialisation a
  regex-based reader would start from);
- ``reader``: the import's reader (``cin_reader.read_census``), blocks discarded.

No database: the rest of the import (pseudonyms, ``COPY``, indicators) is in
``bench_cin.py``'s phases.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.kpis.imports import cin_generator
from services.kpis.imports.cin_reader import read_census

_LEAF = (
    "<xsl:value-of select=\"translate(text(),'&#9;&#10;&#13;','   ')\"/><xsl:text>&#10;</xsl:text>"
)
_TAB = "<xsl:text>&#9;</xsl:text>"
STYLESHEET = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="utf-8"/>
<xsl:template match="/">
 <xsl:for-each select="*/*[local-name()='Child']">
  <xsl:variable name="c" select="position()"/>
  <xsl:for-each select="*[local-name()='ChildIdentifiers']/*[local-name()='LAchildID']">
   <xsl:value-of select="$c"/><xsl:text>&#9;0&#9;-&#9;0&#9;LAchildID&#9;</xsl:text>{_LEAF}
  </xsl:for-each>
  <xsl:for-each select="*[local-name()='ChildCharacteristics']/*[local-name()='Disabilities']
      /*[local-name()='Disability']">
   <xsl:value-of select="$c"/><xsl:text>&#9;0&#9;D&#9;</xsl:text>
   <xsl:value-of select="position()"/><xsl:text>&#9;Disability&#9;</xsl:text>{_LEAF}
  </xsl:for-each>
  <xsl:for-each select="*[local-name()='CINdetails']">
   <xsl:variable name="d" select="position()"/>
   <xsl:for-each select="*[not(*)]">
    <xsl:value-of select="$c"/>{_TAB}<xsl:value-of select="$d"/>
    <xsl:text>&#9;-&#9;0&#9;</xsl:text><xsl:value-of select="local-name()"/>{_TAB}{_LEAF}
   </xsl:for-each>
   <xsl:for-each select="*[*]">
    <xsl:variable name="g" select="local-name()"/>
    <xsl:variable name="i" select="position()"/>
    <xsl:for-each select=".//*[not(*)]">
     <xsl:value-of select="$c"/>{_TAB}<xsl:value-of select="$d"/>{_TAB}
     <xsl:value-of select="$g"/>{_TAB}<xsl:value-of select="$i"/>{_TAB}
     <xsl:value-of select="local-name()"/>{_TAB}{_LEAF}
    </xsl:for-each>
   </xsl:for-each>
  </xsl:for-each>
 </xsl:for-each>
</xsl:template>
</xsl:stylesheet>"""
LINES = {"c": pl.Int32, "d": pl.Int32, "g": pl.String, "i": pl.Int32, "f": pl.String}


def _children(path: Path) -> Any:
    return etree.iterparse(str(path), events=("end",), tag="Child")


def _release(element: Any) -> None:
    element.clear(keep_tail=False)
    parent = element.getparent()
    while element.getprevious() is not None:
        del parent[0]


def iterparse(path: Path) -> None:
    for _event, element in _children(path):
        _release(element)


def xslt(path: Path) -> None:
    transform = etree.XSLT(etree.XML(STYLESHEET.encode()))
    schema = {**LINES, "t": pl.String}
    element = None
    for count, (_event, element) in enumerate(_children(path), start=1):
        if count % 1000 == 0:
            text = bytes(transform(element.getparent()))
            pl.read_csv(text, separator="\t", has_header=False, quote_char=None, schema=schema)
            _release(element)
            element = None
    if element is not None:  # the last, shorter block
        text = bytes(transform(element.getparent()))
        pl.read_csv(text, separator="\t", has_header=False, quote_char=None, schema=schema)


def xpath(path: Path) -> None:
    texts = etree.XPath("descendant::*[not(*)]/text()")
    for _event, element in _children(path):
        texts(element)
        _release(element)


def iter_texts(path: Path) -> None:
    for _event, element in _children(path):
        for item in element.iter():
            item.text  # noqa: B018 - the read is what is measured
        _release(element)


def flat(path: Path) -> None:
    tags: list[Any] = []
    texts: list[str | None] = []
    for _event, element in _children(path):
        for item in element.iter():
            tags.append(item.tag)
            texts.append(item.text)
        _release(element)
        if len(tags) > 30_000:
            pl.DataFrame({"tag": tags, "text": texts})
            tags, texts = [], []


def flat_parent(path: Path) -> None:
    tags: list[Any] = []
    texts: list[str | None] = []
    parents: list[Any] = []
    for _event, element in _children(path):
        for item in element.iter(etree.Element):
            tags.append(item.tag)
            texts.append(item.text)
            parents.append(item.getparent().tag)
        _release(element)
        if len(tags) > 30_000:
            pl.DataFrame({"tag": tags, "text": texts, "parent": parents})
            tags, texts, parents = [], [], []


def tostring(path: Path) -> None:
    for _event, element in _children(path):
        etree.tostring(element)
        _release(element)


def reader(path: Path) -> None:
    read_census(path, None, 10_000, lambda header: None, lambda rows, problems, read: None)


LEVERS: dict[str, Callable[[Path], None]] = {
    "iterparse": iterparse,
    "xslt": xslt,
    "xpath": xpath,
    "iter": iter_texts,
    "flat": flat,
    "flat_parent": flat_parent,
    "tostring": tostring,
    "reader": reader,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cin-levers-") as folder:
        path = Path(folder) / "census.xml"
        with path.open("w", encoding="utf-8") as out:
            cin_generator.write(out, 2023, cin_generator.children(args.children, 2023))
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.repeat):
            for name, lever in LEVERS.items():
                wall, cpu = time.perf_counter(), time.process_time()
                lever(path)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                old = best.get(name, (wall, cpu))
                best[name] = (min(old[0], wall), min(old[1], cpu))
    base = best["iterparse"][1]
    print(f"{args.children:,} children, best of {args.repeat} (CPU ratio: iterparse / lever)")
    print("| lever | wall | CPU | CPU over iterparse | ratio |")
    print("|---|---|---|---|---|")
    for name, (wall, cpu) in best.items():
        print(f"| {name} | {wall:.3f} s | {cpu:.3f} s | +{cpu - base:.3f} s | {base / cpu:.2f} |")


if __name__ == "__main__":
    main()
