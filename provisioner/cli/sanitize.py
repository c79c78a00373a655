"""Keep terminal control characters from the store or a stack config off the terminal.

A run record, an artifact or a stack config is written by someone else. Text from them (a
traceback, a step name, a parameter) could hold escape sequences that clear the screen,
move the cursor or retitle the terminal, and so fake what the tool prints. Every console of
the CLI renders through :class:`ControlCharacterFilter`, which shows C0 and C1 control
characters (except newline and tab) as ``\\x1b``-style escapes; rich's own styling is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType, RenderHook
from rich.segment import Segment

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` with every control character but newline and tab shown as an escape."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class _Cleaned:
    """A renderable whose text segments are cleaned (rich's control segments are kept)."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        for segment in console.render(self.renderable, options):
            if segment.control or not _CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(clean(segment.text), segment.style)


class ControlCharacterFilter(RenderHook):
    """A render hook that cleans everything a console prints."""

    def process_renderables(
        self, renderables: list[ConsoleRenderable]
    ) -> Iterable[ConsoleRenderable]:
        return [_Cleaned(r) for r in renderables]  # type: ignore[misc]


def install(console: Console) -> Console:
    """Make ``console`` print through the filter; returns it."""
    console.push_render_hook(ControlCharacterFilter())
    return console
