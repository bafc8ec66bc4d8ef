"""What ``specwire chat`` shows: the answer on standard output, everything else (reasoning, tool
calls, warnings, errors, the summary line) on standard error, so that ``specwire chat … > out.txt``
keeps the answer alone.

Two views with one interface: :class:`PlainView` (plain text; used when the output is piped, when
rich is not installed, and with ``--plain``) and :class:`RichView` (colours, and the answer rendered
as Markdown, through rich: https://rich.readthedocs.io/en/stable/live.html).  rich is the optional
extra ``cli`` and is imported only when a terminal will show its output.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

__all__ = ["PlainView", "RichView", "make_view", "tool_call_line"]

REASONING_LABEL = "reasoning"


def tool_call_line(part: Any) -> str:
    """``get_weather {"city": "Paris"}``: a tool call's name and arguments (the raw text when
    they were not a JSON object)."""
    if part.arguments is not None:
        arguments = json.dumps(part.arguments, ensure_ascii=False)
    else:
        arguments = part.arguments_text or ""
    return f"{part.tool_name} {arguments}".rstrip()


def _tool_call_label(part: Any) -> str:
    return "tool call (run by the provider)" if part.provider_executed else "tool call"


class PlainView:
    """Plain text.  Reasoning (when shown) goes to stderr under a ``[reasoning]`` line and ends
    with a line break before anything else is written; a tool call is one ``[tool call] NAME
    ARGUMENTS`` line on stderr.  Standard output gets the answer text and one final line break,
    nothing else (a line break that only a terminal needs goes to stderr)."""

    def __init__(self, out: TextIO, err: TextIO, *, show_reasoning: bool) -> None:
        self.out, self.err, self.show_reasoning = out, err, show_reasoning
        self._open: str | None = None  # "text" or "reasoning": the block being written

    def _break(self) -> None:
        """End the open block's line before other output."""
        if self._open is not None:
            self.err.write("\n")
            self.err.flush()
        self._open = None

    def reasoning(self, delta: str) -> None:
        if not self.show_reasoning or not delta:
            return
        if self._open != "reasoning":
            self._break()
            self.err.write(f"[{REASONING_LABEL}]\n")
            self._open = "reasoning"
        self.err.write(delta)
        self.err.flush()

    def text(self, delta: str) -> None:
        if self._open == "reasoning":
            self._break()
        self._open = "text"
        self.out.write(delta)
        self.out.flush()

    def tool_call(self, part: Any) -> None:
        self._break()
        self.err.write(f"[{_tool_call_label(part)}] {tool_call_line(part)}\n")
        self.err.flush()

    def warning(self, kind: str, detail: str) -> None:
        self._break()
        self.err.write(f"warning [{kind}]: {detail}\n")
        self.err.flush()

    def end(self) -> None:
        """The reply is over (finish or error): the answer ends its line."""
        if self._open == "reasoning":
            self._break()
        self._open = None
        self.out.write("\n")
        self.out.flush()

    def summary(self, line: str) -> None:
        if line:
            self.err.write(line + "\n")
            self.err.flush()

    def error(self, line: str) -> None:
        self._break()
        self.err.write(line + "\n")
        self.err.flush()


class RichView:
    """The answer as Markdown on a terminal, refreshed live as it streams; reasoning dim and
    italic under a ``reasoning`` rule; tool calls, warnings and errors in colour.  Each stretch
    of answer text between other output is one Markdown block (a live display must be stopped
    before anything else is printed)."""

    def __init__(self, out: TextIO, err: TextIO, *, show_reasoning: bool, force_terminal: bool | None = None) -> None:
        from rich.console import Console

        self.show_reasoning = show_reasoning
        self.out = Console(file=out, force_terminal=force_terminal, highlight=False)
        # standard error redirected to a file gets no escape codes, whatever standard output is
        self.err = Console(file=err, force_terminal=force_terminal if _isatty(err) else None, highlight=False)
        self._text = ""
        self._live: Any = None
        self._reasoning_open = False

    # the answer: a live Markdown view, replaced by the full rendering when the block ends
    def text(self, delta: str) -> None:
        from rich.live import Live

        self._close_reasoning()
        self._text += delta
        if self._live is None:
            # parsed at each refresh (8 a second), not at each delta: a long answer stays linear
            self._live = Live(_LiveMarkdown(self), console=self.out, transient=True, refresh_per_second=8, vertical_overflow="crop")
            self._live.start()

    @property
    def pending_text(self) -> str:
        """The answer text of the current block, not yet printed in full (read by the live view)."""
        return self._text

    def _flush_text(self) -> None:
        from rich.markdown import Markdown

        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._text:
            self.out.print(Markdown(self._text))
            self._text = ""

    def reasoning(self, delta: str) -> None:
        if not self.show_reasoning or not delta:
            return
        self._flush_text()
        if not self._reasoning_open:
            self.err.rule(REASONING_LABEL, style="dim", align="left")
            self._reasoning_open = True
        self.err.print(delta, end="", style="dim italic", soft_wrap=True, markup=False, emoji=False, highlight=False)

    def _close_reasoning(self) -> None:
        if self._reasoning_open:
            self.err.print()
            self.err.rule(style="dim")
            self._reasoning_open = False

    def tool_call(self, part: Any) -> None:
        from rich.text import Text

        self._end_blocks()
        self.err.print(Text.assemble((_tool_call_label(part), "bold cyan"), " ", (tool_call_line(part), "cyan")))

    def warning(self, kind: str, detail: str) -> None:
        from rich.text import Text

        self._end_blocks()
        self.err.print(Text.assemble((f"warning [{kind}]", "yellow"), ": ", detail))

    def end(self) -> None:
        self._end_blocks()

    def summary(self, line: str) -> None:
        if line:
            self.err.print(line, style="dim", markup=False)

    def error(self, line: str) -> None:
        self._end_blocks()
        self.err.print(line, style="bold red", markup=False)

    def _end_blocks(self) -> None:
        self._close_reasoning()
        self._flush_text()


class _LiveMarkdown:
    """The live view of the answer so far: the Markdown of its last screenful, parsed when the
    display refreshes (8 times a second), so a long answer costs no more per refresh than a short
    one and the newest text stays in sight.  The full answer is printed when the block ends."""

    def __init__(self, view: RichView) -> None:
        self.view = view

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.markdown import Markdown
        from rich.segment import Segment

        height = max((options.height or console.height) - 1, 1)
        source = "\n".join(self.view.pending_text.splitlines()[-height:])  # wrapping only adds lines
        unbounded = options.copy()
        unbounded.height = None
        for line in console.render_lines(Markdown(source), unbounded, pad=False)[-height:]:
            yield from line
            yield Segment.line()


def rich_available() -> bool:
    """rich can be imported (the ``cli`` extra)."""
    try:
        import rich  # noqa: F401  # pyright: ignore[reportUnusedImport] - only whether it imports
    except ImportError:
        return False
    return True


def make_view(*, show_reasoning: bool, plain: bool, out: TextIO | None = None, err: TextIO | None = None) -> PlainView | RichView:
    """A :class:`RichView` when standard output is a terminal, rich is installed and ``plain``
    is not asked for; else a :class:`PlainView`."""
    stdout: TextIO = out or sys.stdout
    stderr: TextIO = err or sys.stderr
    if not plain and _isatty(stdout) and rich_available():
        return RichView(stdout, stderr, show_reasoning=show_reasoning, force_terminal=True)
    return PlainView(stdout, stderr, show_reasoning=show_reasoning)


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
