"""HTML mail bodies to readable plain text with the stdlib parser (no scripts, block elements on lines)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "xml", "object", "svg"})
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "tfoot", "thead", "tr", "ul",
        "body", "html",
    }
)  # fmt: skip
_CELL = frozenset({"td", "th"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr", "param"})


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.quote_depth = 0

    # --- helpers ---
    def _break(self, blank: bool = False) -> None:
        line = "".join(self.current).rstrip()
        self.current = []
        prefix = "> " * min(self.quote_depth, 10)
        if line.strip():
            self.lines.append(prefix + (line if self.pre_depth else line.lstrip(" ")))
        if blank and self.lines and self.lines[-1].strip("> "):
            self.lines.append(prefix.rstrip())

    # --- parser callbacks ---
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag == "br":
            self._break()
        elif tag == "hr":
            self._break()
            self.lines.append("> " * min(self.quote_depth, 10) + "-" * 20)
        elif tag in _BLOCK:
            self._break(blank=tag in {"p", "blockquote", "h1", "h2", "h3", "table", "ul", "ol"})
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre_depth += 1
            elif tag == "li":
                self.current.append("- ")
        elif tag in _CELL:
            self.current.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and alt.strip():
                self.current.append(f"[{alt.strip()}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            if self.skip_depth and tag not in _VOID:
                self.skip_depth -= 1
            return
        if self.skip_depth:
            return
        if tag in _BLOCK:
            self._break(blank=tag in {"p", "blockquote", "h1", "h2", "h3", "table", "ul", "ol"})
            if tag == "blockquote" and self.quote_depth:
                self.quote_depth -= 1
            elif tag == "pre" and self.pre_depth:
                self.pre_depth -= 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            return
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            parts = data.replace("\r\n", "\n").split("\n")
            for i, part in enumerate(parts):
                if i:
                    self._break()
                self.current.append(part)
            return
        text = re.sub(r"[ \t\r\n\f\u200b]+", " ", data.replace("\xa0", " "))
        if text == " " and (not self.current or self.current[-1].endswith(" ")):
            return
        if self.current and self.current[-1].endswith(" ") and text.startswith(" "):
            text = text[1:]
        self.current.append(text)

    def text(self) -> str:
        self._break()
        out = "\n".join(self.lines)
        out = re.sub(r"\n{3,}", "\n\n", out)
        return out.strip("\n")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: scripts and styles dropped, blocks on their own lines,
    ``<blockquote>`` content prefixed with ``> `` (so quote stripping works as for plain text)."""
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # html.parser is lenient; keep whatever was read if it ever gives up
        pass
    return builder.text()
