"""Text the services give (titles, names, descriptions, messages) shown as it was typed, never as markup.

Streamlit renders the text of `st.markdown`, headers, captions, alerts, metric labels and help tooltips, expander
and tab labels as Markdown with its own extensions (`:material/…:` icons, `:red[…]` colours, emoji shortcodes,
`$…$` LaTeX, bare URLs and e-mail addresses as links); Plotly renders a subset of HTML (`<a href>`, `<b>`, …) in
titles, legends, axis and hover text. Whoever may write a goal title, a measure title or an organisation's name must
not be able to put an image, a link or styled text into the dashboard others read, so such text passes through `md`
or `plotly_text` on its way there. The dashboard's own labels (the translation table) need neither, and neither do
`st.dataframe` cells and selectbox and multiselect options, which Streamlit shows as plain text.
"""

from __future__ import annotations

import html
import re

# Characters that open or close a Markdown construct inside a line: escapes, code, emphasis, strikethrough, links,
# images, footnotes and directives (`:red[…]`), autolinks and HTML, LaTeX, entities, tables, colons of shortcodes.
# An underscore between two letters or digits (`snake_case`) can neither open nor close emphasis, and stays as it is.
_INLINE = re.compile(r"([\\`*~\[\]<>$&|:]|(?<![^\W_])_|_(?![^\W_]))")
# What makes a block of a text that starts with it: a heading, a list item or a rule (`1.` keeps its number).
_LEADING = re.compile(r"^(?:#{1,6}(?=\s|$)|[-+](?=\s|$)|-(?=[-\s]*$)|\d{1,9}(?=[.)](?:\s|$)))")
# Streamlit turns a shortcode (`:smile:`, `:material/home:`, `:streamlit:`) into a picture, and GFM turns
# `https://…`, `www.…` and `name@host` into links, whatever their backslash escapes: a word joiner (U+2060, invisible
# and no space) in the middle keeps them the text they were typed as.
_WORD_JOINER = "\u2060"
_SHORTCODE = re.compile(r":(?=[\w+-][\w/+-]*:)")
_BARE_LINK = re.compile(r"(?i)(?=://)|(?<=www)(?=\.)|(?=@)")


def md(text: object) -> str:
    """`text` escaped so that Streamlit's Markdown shows it exactly as typed; None as the empty string.

    Runs of whitespace, line breaks included, become one space, as the browser would show them anyway.
    """
    if text is None:
        return ""
    plain = " ".join(str(text).split())
    plain = _SHORTCODE.sub(":" + _WORD_JOINER, plain)
    plain = _BARE_LINK.sub(_WORD_JOINER, plain)
    plain = _INLINE.sub(r"\\\1", plain)
    leading = _LEADING.match(plain)
    if leading and leading.group()[:1].isdigit():  # `1. ` / `1) `: escape the dot or parenthesis after the number
        return plain[:leading.end()] + "\\" + plain[leading.end():]
    return "\\" + plain if leading else plain


def plotly_text(text: object) -> str:
    """`text` escaped so that Plotly shows it exactly as typed in a title, legend, axis or hover label."""
    return "" if text is None else html.escape(str(text), quote=False)
