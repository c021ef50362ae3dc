"""Whether baseline and head ran on like machines: warnings for environment fingerprint fields
(CPU model, cores, OS, Python, runner) that differ, shown in every report."""

from __future__ import annotations

from collections.abc import Mapping

_FINGERPRINT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("CPU model", ("cpu_model", "cpu.model", "cpu")),
    ("CPU cores", ("cores", "cpu_count", "cpu.cores", "logical_cores")),
    ("OS", ("os", "platform", "system")),
    ("Python", ("python", "python_version")),
    ("runner", ("runner", "runner_name", "container_image", "image")),
)


def _flatten(env: Mapping[str, object]) -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in env.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


COUNT_FIELDS = ("CPU model", "OS", "Python")
"""What instruction counts depend on: the interpreter, the libraries and the CPU features
glibc picks its ``memcpy``/``strlen`` variants by."""


def machines_apart(baseline: Mapping[str, object], head: Mapping[str, object]) -> str:
    """``"CPU model differs"``-style reason the two runs' instruction counts cannot be
    compared, or ``""`` (fields missing on either side are not held against them)."""
    base, new = _flatten(baseline), _flatten(head)
    differ: list[str] = []
    for label, keys in _FINGERPRINT:
        key = next((k for k in keys if k in base and k in new), None)
        if label in COUNT_FIELDS and key is not None and str(base[key]) != str(new[key]):
            differ.append(label)
    return f"{', '.join(differ)} differ{'s' if len(differ) == 1 else ''}" if differ else ""


def fingerprint_warnings(
    baseline: Mapping[str, object], head: Mapping[str, object]
) -> tuple[str, ...]:
    """Warnings for environment fields (CPU model, cores, ...) that differ between runs."""
    base, new = _flatten(baseline), _flatten(head)
    warnings: list[str] = []
    for label, keys in _FINGERPRINT:
        key = next((k for k in keys if k in base and k in new), None)
        if key is not None and str(base[key]) != str(new[key]):
            warnings.append(
                f"{label} differs: baseline {base[key]}, head {new[key]}; "
                "timings may not be comparable"
            )
    return tuple(warnings)
