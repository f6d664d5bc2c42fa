"""A strict reading of the report page with the standard html.parser: tags must balance."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)  # the text inside, nested elements' included

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all_text(self) -> str:
        return "".join(self.text)


class PageReader(HTMLParser):
    """Collects every element with its text; ``problems`` lists unbalanced or stray tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.problems: list[str] = []
        self._open: list[Element] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1].tag != tag:
            self.problems.append(f"</{tag}> closes {self._open[-1].tag if self._open else 'nothing'}")
            return
        self._open.pop()

    def handle_data(self, data: str) -> None:
        """A <title> (an SVG hover text) keeps its text to itself, so labels read as drawn."""
        self.text.append(data)
        holders = self._open[-1:] if self._open and self._open[-1].tag == "title" else self._open
        for element in holders:
            element.text.append(data)

    def find(self, tag: str, css_class: str | None = None) -> list[Element]:
        return [el for el in self.elements if el.tag == tag and (css_class is None or css_class in el.classes)]


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    if reader._open:
        reader.problems.append("unclosed: " + ", ".join(el.tag for el in reader._open))
    return reader
