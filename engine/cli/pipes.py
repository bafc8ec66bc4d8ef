"""A closed pipe ends a command quietly (``specwire … | head -1``), in every CLI entry point.

The standard Python way (https://docs.python.org/3/library/signal.html#note-on-sigpipe): catch
:class:`BrokenPipeError`, point standard output at ``os.devnull`` so that the interpreter's own
flush at exit does not raise again (and print ``Exception ignored … BrokenPipeError``), and exit
with status 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["EXIT_BROKEN_PIPE", "survive_closed_pipe"]

#: The exit status after the reader of standard output went away (the Python docs' choice).
EXIT_BROKEN_PIPE = 1


def survive_closed_pipe(command: Callable[..., int], *args: Any) -> int:
    """``command(*args)``, its output flushed; a closed standard output gives
    :data:`EXIT_BROKEN_PIPE` instead of a traceback."""
    try:
        code = command(*args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, ValueError, OSError):  # stdout is not a file (a test's capture)
        pass
