"""User text in Markdown panes renders as written: no markup, no HTML, no fence it can close."""

from __future__ import annotations

import html

import panel as pn
import pytest

from widgets.markdown_text import md_code_block, md_text


def rendered(markdown: str) -> str:
    """The HTML the browser gets from a Markdown pane (Panel escapes it once for transport)."""
    pane = pn.pane.Markdown(markdown)
    return html.unescape(pane._transform_object(pane.object)["object"])


@pytest.mark.parametrize("text", ["<img src=x onerror=alert(1)>", "**bold** _it_ `code` [link](http://e.x)",
                                  "# heading", "1. item", "- bullet", "a & b < c > d \"q\" 'a'", "back\\slash",
                                  "```python", "| a | b |"])
def test_md_text_shows_exactly_the_text(text: str) -> None:
    out = rendered(md_text(text)).strip()
    assert out.startswith("<p>") and out.endswith("</p>")
    inner = out[3:-4]
    assert "<" not in inner and html.unescape(inner) == text  # one paragraph, no markup, the text as written


def test_code_block_fence_outlasts_backticks_inside() -> None:
    diff = "-  keywords: ['```', x]\n+  keywords: ['````', '<b>y</b>']\ntrailing text"
    block = md_code_block(diff, "diff")
    assert block.startswith("`````diff\n") and block.endswith("\n`````")
    out = rendered(block + "\n\n**after**")
    assert "<b>y</b>" not in out and "&lt;b&gt;y&lt;/b&gt;" in out
    assert out.count("<pre") >= 1 and "<strong>after</strong>" in out  # the block closed where it should
    assert "trailing text" in out.split("<strong>")[0]
