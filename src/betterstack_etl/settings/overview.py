"""The settings as people read them: each one's value in effect and where it came from (the
``config`` command), and the table of every setting (the README's, generated from here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from betterstack_etl.secret import Secret
from betterstack_etl.settings.declaration import FIELDS, Settings, knob, number_range
from betterstack_etl.settings.loading import read_layers, refusals

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from betterstack_etl.settings.loading import Origin

__all__ = ["Overview", "SettingRow", "inspect_settings", "markdown_table", "shown_value"]

_MASK = "***"


@dataclass(frozen=True, slots=True)
class SettingRow:
    """One setting as ``config`` shows it: ``value`` is its text in effect (``***`` for a
    secret that is set, None when unset), ``origin`` where it came from, ``problem`` why it
    is refused (None when it is not)."""

    name: str
    variable: str
    option: str | None
    parameter: bool
    secret: bool
    value: str | None
    origin: Origin
    problem: str | None
    help: str
    default_text: str | None  # how the default reads when it is no plain value ("yesterday")


@dataclass(frozen=True, slots=True)
class Overview:
    """Every setting (``rows``), the refusals that concern two settings at once
    (``problems``), the ``.env`` file read, and the unknown ``BETTERSTACK_*`` variables."""

    rows: tuple[SettingRow, ...]
    problems: tuple[str, ...]
    env_file: Path | None
    unknown: tuple[str, ...]
    notes: tuple[str, ...]  # one line per unknown variable

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.problem is None for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "env_file": str(self.env_file) if self.env_file else None,
            "settings": [asdict(r) for r in self.rows],
            "problems": list(self.problems),
            "unknown": list(self.unknown),
        }


def shown_value(value: Any) -> str | None:
    """A setting's value as text (``***`` for a secret; None when unset)."""
    if value is None:
        return None
    if isinstance(value, Secret):
        return _MASK
    if isinstance(value, tuple):
        return ",".join(getattr(v, "short_name", str(v)) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _parsed(name: str, raw: Any) -> Any:
    """``raw`` parsed as setting ``name`` (itself when refused: the row shows the problem)."""
    parser = next(m.func for m in FIELDS[name].metadata if hasattr(m, "func"))
    try:
        return parser(raw)
    except ValueError:  # PydanticCustomError is one
        return raw


def inspect_settings(
    environ: Mapping[str, str] | None = None,
    *,
    origin: Literal["option", "parameter"] = "option",
    **overrides: Any,
) -> Overview:
    """Every setting in effect, where it came from, and each refusal, without stopping at the
    first (a misspelled override or an unreadable ``.env`` file still raises)."""
    layers = read_layers(environ, origin=origin, **overrides)
    per_setting: dict[str, str] = {}
    problems: list[str] = []
    try:
        settings: Settings | None = Settings(**layers.raw)
    except ValidationError as exc:
        settings = None
        for name, refusal in refusals(exc, layers):
            if name is None:
                problems.append(str(refusal))
            else:
                per_setting.setdefault(name, str(refusal))
    rows = []
    for name, info in FIELDS.items():
        declared = knob(name)
        if settings is not None:
            value = getattr(settings, name)
        else:
            value = _parsed(name, layers.raw[name]) if name in layers.raw else info.default
        text = _MASK if declared.secret and name in layers.raw else shown_value(value)
        rows.append(
            SettingRow(
                name=name,
                variable=declared.variable,
                option=declared.option,
                parameter=declared.parameter,
                secret=declared.secret,
                value=text,
                origin=layers.origins[name],
                problem=per_setting.get(name),
                help=info.description or "",
                default_text=declared.default_text,
            )
        )
    return Overview(
        tuple(rows), tuple(problems), layers.env_file, layers.unknown, tuple(layers.notes())
    )


def _default_text(name: str) -> str:
    declared, default = knob(name), FIELDS[name].default
    if declared.required and default is None:
        return f"required ({declared.required})"
    if declared.default_text:
        return declared.default_text
    text = shown_value(default)
    return f"`{text}`" if text else "–"


def markdown_table() -> str:
    """The README's table of every setting, from the declaration."""
    lines = [
        "| variable | option / flow parameter | meaning | default |",
        "|---|---|---|---|",
    ]
    for name, info in FIELDS.items():
        declared = knob(name)
        knobs = [f"`{declared.option}`"] if declared.option else []
        knobs += [f"`{name}`"] if declared.parameter else []
        meaning = info.description or ""
        numbers = number_range(name)
        if numbers is not None:
            kind = "a whole number" if numbers.integer else "a number"
            meaning += f" ({kind} in {numbers.describe()})"
        if declared.secret:
            meaning += "; **secret**: never shown, logged or a flow parameter"
        row = [f"`{declared.variable}`", ", ".join(knobs) or "–", meaning, _default_text(name)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)
