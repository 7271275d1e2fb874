"""The problems a user can cause and fix (a missing folder, an unusable image or model, settings that cannot work
together, a failed upload). Each module raises its own kind; every command reports them all one way."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec

P = ParamSpec("P")


class UserError(Exception):
    """A problem with the user's input, data, models or settings, with a message fit to show them: commands print it
    in one line instead of a traceback."""


def reports_user_errors(main: Callable[P, int]) -> Callable[P, int]:
    """Wrap a command's `main`: a UserError ends it with one `error:` line and status 2, as a bad option does; Ctrl+C
    with one `stopped` line (saying what was kept, where the command knows) and status 130, not a traceback."""

    @functools.wraps(main)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as e:
            print(f"stopped: {e}" if str(e) else "stopped", file=sys.stderr)
            return 130

    return run
