"""SPEC §13: text from the API is shown as its characters, never as a terminal command, a
Markdown link or an HTML tag (``betterstack_etl.literal``)."""

from __future__ import annotations

import logging

import pytest
from markdown_it import MarkdownIt

from betterstack_etl.errors import ContractError
from betterstack_etl.literal import VisibleLogText, markdown, visible

HOSTILE = (
    "rich [/bold] [link=file:///etc/passwd]x[/link] $\\frac{1}{$ <script>alert(1)</script> "
    "[x](javascript:alert(1)) <img src=x onerror=alert(1)> \x1b[31mred\x1b]0;T\x07 "
    "\x9b2J \u202egnp.exe | * _ ` # \\"
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]0;TITLE\x07", "\\x1b]0;TITLE\\x07"),
        ("a\rb\tc\nd", "a\\rb\\tc\\nd"),
        ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
        ("\u202eexe.txt\u2066\u200b", "\\u202eexe.txt\\u2066\\u200b"),
        ("Prefeitura do Rio — São Paulo ✓ 😀", "Prefeitura do Rio — São Paulo ✓ 😀"),
        ("[/bold] $\\alpha$ <b>", "[/bold] $\\alpha$ <b>"),  # markup is the printer's job
    ],
)
def test_visible_shows_each_control_character_as_its_escape(text: str, shown: str) -> None:
    assert visible(text) == shown


def test_visible_can_keep_line_breaks_for_multi_line_logs() -> None:
    assert visible("a\nb\x1b", newlines=True) == "a\nb\\x1b"
    assert visible(12) == "12"


def test_markdown_renders_as_exactly_its_characters() -> None:
    html = MarkdownIt("commonmark").render(f"name: {markdown(HOSTILE)}")
    for live in ("<a ", "<img", "<script", "<em>", "<strong>", "<code>", "<h1"):
        assert live not in html
    # what the reader sees is the text itself (HTML entities aside), control characters shown
    assert "[x](javascript:alert(1))" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\\x1b]0;T\\x07" in html
    assert "\x1b" not in html


def test_markdown_keeps_a_table_row_one_row() -> None:
    md = MarkdownIt("commonmark").enable("table")
    cells = markdown("x | y"), markdown("line\nbreak")
    row = "| a | b |\n|---|---|\n| {} | {} |".format(*cells)
    html = md.render(row)
    assert html.count("<td>") == 2
    assert "x | y" in html
    assert "line\\nbreak" in html


def test_log_lines_quote_api_text_without_its_escape_sequences() -> None:
    record = logging.LogRecord(
        "betterstack_etl.x", logging.WARNING, "f", 1, "%s: %s", ("a\nb", "\x1b[2J"), None
    )
    assert VisibleLogText().filter(record)
    assert record.getMessage() == "a\nb: \\x1b[2J"


def test_our_errors_never_carry_a_control_character() -> None:
    error = ContractError(f"monitor {HOSTILE}", endpoint="/api/v2/monitors", hint="fix\x1b[0m")
    assert "\x1b" not in str(error)
    assert "\x07" not in str(error)
    assert "\\x1b]0;T\\x07" in error.message
    assert error.hint == "fix\\x1b[0m"
