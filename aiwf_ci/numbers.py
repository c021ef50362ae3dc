"""How every measured number aiwf-ci writes is written: human units, three significant digits, never
scientific notation.

Every place that writes a measured value (reports, progress lines, annotations, verdict
notes) uses these functions, so a value reads the same everywhere; one rule for all of them:

- three significant digits (``1.36 ms``, ``20.2 ms``, ``131 ms``), never an exponent;
- durations in ns / µs / ms / s, then min and h;
- sizes in binary units (``47.6 MiB``, as memory is allocated); byte rates in decimal ones
  (``13.1 MB/s``, as disks and networks are quoted);
- counts (instruction counts, API calls) exactly, with thousands separators
  (``150,329,212 instr``; the median of two counts ``3,265,945.5 instr``): instruction counts
  repeat to the instruction, so every digit is information;
- any other unit with an SI prefix from a thousand up (``33.8k files/s``, ``1.51k req/s``);
- ratios and changes as percentages, one decimal below 10% and whole percents above, so
  ``+1.5%`` keeps its meaning and ``+30%`` loses none.
"""

from __future__ import annotations

import math

DASH = "—"
_DURATIONS = (("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3), ("µs", 1e-6))
_ROUND_UP = 0.9995  # 0.9996 s is written "1.00 s", not "1000 ms"
_BINARY = (("TiB", 1024.0**4), ("GiB", 1024.0**3), ("MiB", 1024.0**2), ("KiB", 1024.0))
_DECIMAL = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))


def sig3(value: float) -> str:
    """``value`` with three significant digits and no exponent: ``0.00123``, ``12.3``, ``1230``."""
    if not math.isfinite(value):
        return DASH
    if value == 0:
        return "0"
    digits = 2 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    if rounded and math.floor(math.log10(abs(rounded))) > math.floor(math.log10(abs(value))):
        digits -= 1  # 9.996 rounds up to 10.0: one digit fewer keeps three
    return f"{rounded if digits < 0 else value:.{max(0, digits)}f}"


def _scaled(value: float, scales: tuple[tuple[str, float], ...], base: str, sep: str) -> str:
    """``value`` in the largest unit it reaches (after rounding), else in ``base``."""
    magnitude = abs(value)
    for unit, factor in scales:
        if float(sig3(magnitude / factor)) >= 1.0:
            return f"{sig3(value / factor)}{sep}{unit}"
    return f"{sig3(value)}{sep}{base}".rstrip()


def duration(seconds: float) -> str:
    """``1.36 ms``, ``2.5 min``; below a microsecond in ns."""
    magnitude = abs(seconds)
    if 60 * _ROUND_UP <= magnitude < 120:
        return f"{sig3(seconds)} s"  # "90.0 s" reads better than "1.50 min"
    for unit, factor in _DURATIONS:
        if magnitude >= factor * _ROUND_UP:
            return f"{sig3(seconds / factor)} {unit}"
    return f"{sig3(seconds / 1e-9)} ns"


def size(value: float) -> str:
    """Binary units: ``0 B``, ``812 B``, ``9.53 MiB``."""
    if abs(value) < 1024 * _ROUND_UP:
        return f"{value:.0f} B"
    return _scaled(value, _BINARY, "B", " ")


def human(value: float | None, unit: str) -> str:
    """A metric value in its unit, readably (see the module docstring); ``—`` for none."""
    if value is None or not math.isfinite(value):
        return DASH
    if unit == "s":
        return duration(value)
    if unit == "B":
        return size(value)
    if unit == "B/s":
        return _scaled(value, _DECIMAL, "", " ") + "B/s"
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    if unit == "instr":  # exact counts are the point of measuring them
        return f"{count(value)} instr"
    return f"{_scaled(value, _DECIMAL, '', '')} {unit}".strip()


def count(value: float) -> str:
    """A count of things, every whole digit kept, with thousands separators: ``20,000``,
    ``3,265,945.5`` (the median of two counts); a fraction gets one decimal, or as many as
    three significant digits need below 100 (``0.500``, ``12.3``)."""
    if not math.isfinite(value):
        return DASH
    if float(value).is_integer():
        return f"{value:,.0f}"
    decimals = max(1, 2 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def signed_count(value: float) -> str:
    return ("+" if value > 0 else "") + count(value)


def counted(number: int, word: str, plural: str = "") -> str:
    """``1 paired round``, ``2 paired rounds``: a count and its noun, singular for one."""
    return f"{count(number)} {word if number == 1 else plural or word + 's'}"


def percent_number(fraction: float, decimals: int | None = None) -> str:
    """A change in percent with its sign, without the ``%``: ``+1.5``, ``+30``, ``-20``.
    ``decimals`` by default: one below 10%, none above."""
    if not math.isfinite(fraction):
        return "+∞" if fraction > 0 else DASH
    number = fraction * 100
    if decimals is None:
        decimals = 1 if abs(number) < 9.95 else 0
    text = f"{number:+.{decimals}f}"
    return "±" + text[1:] if float(text) == 0 and decimals else text


def pct(fraction: float | None) -> str:
    """``+1.5%``, ``+30%``, ``±0.0%``; ``—`` for none."""
    return DASH if fraction is None else percent_number(fraction) + "%"


def change_cell(change: float | None, ci: tuple[float, float] | None) -> str:
    """The change with its interval, compact and at one precision: ``+13% (+9…+17)``,
    ``+1.5% (-0.3…+3.3)``."""
    if change is None:
        return DASH
    if ci is None or not all(map(math.isfinite, ci)):
        return pct(change)
    decimals = 1 if max(abs(change), abs(ci[0]), abs(ci[1])) < 0.0995 else 0
    low, high = (percent_number(x, decimals) for x in ci)
    return f"{percent_number(change, decimals)}% ({low}…{high})"


def magnitude_pct(fraction: float) -> str:
    """An unsigned size of change for a sentence: ``92%``, ``4.5%``."""
    return percent_number(abs(fraction)).lstrip("+±") + "%"


def p_value(value: float | None) -> str:
    """``p < 0.001``, ``p = 0.029``; ``—`` when there was no test."""
    if value is None or not math.isfinite(value):
        return DASH
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def level(ci_level: float) -> str:
    """A confidence level without trailing zeros: ``95%``, ``99.75%``."""
    text = f"{ci_level * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def seconds_span(seconds: float) -> str:
    """A time budget in words: ``10 min``, ``90 s``, ``1.5 h``."""
    if seconds >= 3600:
        return f"{sig3(seconds / 3600).rstrip('0').rstrip('.')} h"
    if seconds >= 120:
        return f"{sig3(seconds / 60).rstrip('0').rstrip('.')} min"
    return f"{seconds:.0f} s"
