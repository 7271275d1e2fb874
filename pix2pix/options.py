"""Range-checked argparse types shared by every command (the app, training, evaluation, prediction): a bad value
is refused by argparse with the option's name, instead of failing deep inside a run."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def number(kind: Callable[[str], float], least: float, most: float | None = None, *, above: bool = False,
           below: bool = False) -> Callable[[str], float]:
    """argparse type: a number of `kind` from `least` (strictly more with `above`) up to `most` (strictly less with
    `below`). A bad value is refused with the option's name, instead of failing deep inside a run."""

    def parse(text: str) -> float:
        value = kind(text)
        low_ok = value > least if above else value >= least
        high_ok = most is None or (value < most if below else value <= most)
        if not (low_ok and high_ok):
            if most is not None and not (above or below):
                bound = f"between {least:g} and {most:g}"
            else:
                bound = f"above {least:g}" if above else f"at least {least:g}"
                bound += f" and {'below' if below else 'at most'} {most:g}" if most is not None else ""
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its "invalid ... value" message
    return parse


COUNT = number(int, 1)  # batch size, widths, depth, sizes, limits: whole numbers from 1
WEIGHT = number(float, 0)  # loss weights and seconds: 0 turns the term off
PERCENT = number(int, 0, 100, below=True)  # --tune-percent, as the trainer and the evaluation read it
POSITIVE = number(float, 0, above=True)  # learning rate, minutes, temperature, scale
