"""Terminal tables that keep Chinese text aligned (rich measures East Asian wide characters)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table


def print_table(rows: Sequence[Sequence[str]], headers: Sequence[str], *, title: str | None = None) -> None:
    """Print rows as a table on stdout; plain text when stdout is not a terminal."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(width=200 if not Console().is_terminal else None).print(table)
