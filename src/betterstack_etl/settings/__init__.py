"""Settings: every knob of betterstack-etl, declared once (``declaration.Settings``) and read
the same way by every command and by the flow.

Where a value comes from, highest first:

1. a command's option (``--from-date``) or a flow parameter (``from_date``);
2. the environment (``BETTERSTACK_FROM_DATE``; Infisical injects it in production);
3. the ``.env`` file: ``./.env``, or the file ``BETTERSTACK_ENV_FILE`` names (``KEY=value``
   lines, ``export`` and quotes allowed; an unknown ``BETTERSTACK_*`` name in it is an error);
4. the declared default.

``load_settings(**overrides)`` gives the settings in effect and where each came from
(``betterstack-etl config`` shows them, secrets masked); ``.run_params()`` what one run needs,
``.token()`` the API token. Refused before any request (SPEC §10), one line naming the knob the
user touched (``--from-date '20261101' is not a date — write --from-date as YYYY-MM-DD, …``):
a base URL carrying credentials, a path, a query or a fragment, or plain ``http://`` to
anything but loopback; a token with whitespace, control or non-ASCII characters inside; a local
lake root that is (under) a file or in a read-only folder; a number that is not finite, not
whole where a count is meant, or out of its range; a date before 2015-01-01; an SLO outside
0–100; an unknown time zone, table or destination; a misspelled override.
"""

from __future__ import annotations

from betterstack_etl.settings.declaration import FIELDS, Knob, Settings, knob, number_range
from betterstack_etl.settings.loading import (
    Layers,
    Loaded,
    Origin,
    env_file_path,
    load_settings,
    parse_as,
    read_layers,
    read_token,
    refusals,
    run_params,
    secret_values,
)
from betterstack_etl.settings.overview import (
    Overview,
    SettingRow,
    inspect_settings,
    markdown_table,
    shown_value,
)
from betterstack_etl.settings.params import RunParams, Window
from betterstack_etl.settings.values import ALL_MONITORS, EARLIEST_DATE, Number

__all__ = [
    "ALL_MONITORS",
    "EARLIEST_DATE",
    "FIELDS",
    "Knob",
    "Layers",
    "Loaded",
    "Number",
    "Origin",
    "Overview",
    "RunParams",
    "SettingRow",
    "Settings",
    "Window",
    "env_file_path",
    "inspect_settings",
    "knob",
    "load_settings",
    "markdown_table",
    "number_range",
    "parse_as",
    "read_layers",
    "read_token",
    "refusals",
    "run_params",
    "secret_values",
    "shown_value",
]
