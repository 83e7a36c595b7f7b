"""User text inside Markdown panes, shown as written.

Panel's Markdown pane passes raw HTML through, and Markdown punctuation in a name, a file name, a
message or a YAML diff changes how the rest renders. Policy names, file names, keywords and
validator messages are user text (in team mode another user's), so each reaches a Markdown pane
through one of these helpers: as plain text, or as a fenced block no backtick run can close.
"""

from __future__ import annotations

import html
import re

# CommonMark's backslash-escapable punctuation, less & < > " ' (html.escape turns those into entities)
_PUNCTUATION = re.compile(r"([!#$%()*+,\-./:;=?@\[\\\]^_`{|}~])")


def md_text(text: object) -> str:
    """``text`` as Markdown that renders exactly as ``text``: no markup, no HTML, no links."""
    return html.escape(_PUNCTUATION.sub(r"\\\1", str(text)), quote=True)  # entities after: their ; stays bare


def md_code_block(text: str, language: str = "") -> str:
    """A fenced block showing ``text`` verbatim; its fence is longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"
