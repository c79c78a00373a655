"""Live per-resource progress for deploy and destroy, fed by engine events."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from provisioner.cli.render import SYMBOLS
from provisioner.engines.model import EngineEvent, EventKind, Op

VERBS = {
    Op.CREATE: ("creating", "created"),
    Op.UPDATE: ("updating", "updated"),
    Op.REPLACE: ("replacing", "replaced"),
    Op.DELETE: ("deleting", "deleted"),
    Op.SAME: ("checking", "unchanged"),
    Op.REFRESH: ("reading", "read"),
    Op.READ: ("reading", "read"),
}


class ProgressDisplay:
    """An engine event sink: a live table on a terminal, one line per finished step otherwise."""

    def __init__(self, console: Console, title: str) -> None:
        self.console = console
        self.title = title
        self.rows: dict[str, tuple[str, Text, float, float | None]] = {}
        self.live = (
            Live(console=console, refresh_per_second=8, transient=False)
            if console.is_terminal
            else None
        )
        self.started = time.monotonic()
        self._started = False

    def __enter__(self) -> ProgressDisplay:
        # The live table starts with the first event, not here, so a confirmation question
        # asked before the engine starts stays on screen.
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.live is not None and self._started:
            self.live.update(self._table())
            self.live.stop()

    def __call__(self, event: EngineEvent) -> None:
        if self.live is not None and not self._started:
            self.live.start()
            self._started = True
        step = event.step
        if event.kind == EventKind.DIAGNOSTIC:
            style = {"warning": "yellow", "error": "red"}.get(event.severity, "dim")
            self._print(Text(f"{event.severity}: {event.message}", style=style))
            return
        if (
            step is None
            or step.type == "pulumi:pulumi:Stack"
            or (step.op == Op.SAME and event.kind != EventKind.STEP_FAILED)
        ):
            return
        doing, done = VERBS.get(step.op, ("working on", "done"))
        sym, style = SYMBOLS.get(step.op, ("?", "white"))
        now = time.monotonic()
        if event.kind == EventKind.STEP_START:
            self.rows[step.urn] = (step.name, Text(f"{sym:>3} {doing}…", style=style), now, None)
        elif event.kind == EventKind.STEP_DONE:
            start = self.rows.get(step.urn, (step.name, Text(), now, None))[2]
            self.rows[step.urn] = (
                step.name,
                Text(f"{sym:>3} {done}", style=f"bold {style}"),
                start,
                now,
            )
            if self.live is None:
                self._print(Text(f"{sym:>3} {step.name}: {done} ({now - start:.1f}s)", style=style))
        elif event.kind == EventKind.STEP_FAILED:
            start = self.rows.get(step.urn, (step.name, Text(), now, None))[2]
            msg = f"  ✗ failed: {event.message}" if event.message else "  ✗ failed"
            self.rows[step.urn] = (step.name, Text(msg, style="bold red"), start, now)
            if self.live is None:
                self._print(Text(f"  ✗ {step.name}: failed: {event.message}", style="red"))
        if self.live is not None:
            self.live.update(self._table())

    def _print(self, text: Text) -> None:
        if self.live is not None:
            self.live.console.print(text)
        else:
            self.console.print(text)

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column()
        table.add_column()
        table.add_column(justify="right", style="dim")
        now = time.monotonic()
        for name, status, start, end in self.rows.values():
            table.add_row(name, status, f"{(end or now) - start:.1f}s")
        return table
