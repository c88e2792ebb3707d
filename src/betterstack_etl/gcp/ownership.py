"""Whose is a BigQuery table or view? (SPEC §12: never overwrite what is not ours.)

Every table and view the pipeline creates carries the label ``managed-by: betterstack-etl``
(BigQuery label rules: lowercase letters, digits, ``_`` and ``-``; keys start with a letter; at
most 63 characters each). ``publish`` changes an existing object only when it is ours:

- it carries that label; or
- it was made by a version of this project from before the label: a table with our definition
  fingerprint label (``betterstack_etl_definition``), or an unlabelled view whose description is
  one of our views' (those are *adopted*: the next publish adds the label).

Anything else is someone else's, and :func:`foreign_owner` says who it seems to be, from what
the object itself shows (its type, labels, description, columns): the analysts' dbt models
(native tables, ``raw_eai_gateway_incidents`` / ``raw_eai_gateway_uptime_kpi`` by their
columns), the old pipeline's raw BigLake table (all-STRING ``id``/``attributes``/
``relationships``), this project's own dbt package (label ``managed-by: betterstack-etl-dbt``).
:class:`Collision` is the one line naming the object, that guess and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from google.cloud import bigquery

__all__ = [
    "DBT_PACKAGE_OWNER",
    "OWNER",
    "OWNER_KEY",
    "OWNER_LABELS",
    "Collision",
    "Kind",
    "collision",
    "foreign_owner",
    "is_legacy_raw_table",
    "is_ours",
    "with_owner_label",
]

OWNER_KEY: Final = "managed-by"
OWNER: Final = "betterstack-etl"
OWNER_LABELS: Final = {OWNER_KEY: OWNER}
# the dbt package shipped in dbt/ labels its relations so (they are dbt's to rebuild, not ours)
DBT_PACKAGE_OWNER: Final = "betterstack-etl-dbt"
_FINGERPRINT_LABEL: Final = "betterstack_etl_definition"  # gcp.bigquery.DEFINITION_LABEL

Kind = Literal["table", "view"]

# What the objects that already carry our names in the city hall's BigQuery look like (read
# from prefeitura-rio/queries-rj-iplanrio and prefeitura-rio/prefect_rj_iplanrio).
_OLD_RAW_COLUMNS: Final = frozenset({"id", "attributes", "relationships"})
_DBT_INCIDENTS_COLUMNS: Final = frozenset({"id", "response_code", "ano_particao", "mes_particao"})
_DBT_KPI_COLUMNS: Final = frozenset(
    {"mes", "total_downtime_minutes", "total_minutes_in_month", "disponibilidade_percentual"}
)


def with_owner_label(labels: Mapping[str, str] | None) -> dict[str, str]:
    """``labels`` plus ours (others' labels are kept)."""
    return {**(labels or {}), **OWNER_LABELS}


def _kind_of(table: bigquery.Table) -> str:
    kind = (table.table_type or "TABLE").upper()
    if kind == "VIEW" or (table.table_type is None and table.view_query):
        return "view"
    if kind == "EXTERNAL" or table.external_data_configuration is not None:
        return "external table"
    if kind == "MATERIALIZED_VIEW":
        return "materialized view"
    return "native table"


def is_ours(
    existing: bigquery.Table, *, kind: Kind, our_descriptions: Collection[str] = ()
) -> bool:
    """Whether ``existing`` is ours to change: labelled, or made by an earlier version of this
    project (see the module's docstring). A view is never ours where a table is wanted, nor
    the other way round."""
    labels = existing.labels or {}
    is_view = _kind_of(existing) == "view"
    if is_view != (kind == "view"):
        return False
    if labels.get(OWNER_KEY) == OWNER:
        return True
    if OWNER_KEY in labels:
        return False
    if kind == "table":
        return _FINGERPRINT_LABEL in labels
    return not labels and existing.description in set(our_descriptions)


def is_legacy_raw_table(existing: bigquery.Table) -> bool:
    """The old pipeline's raw table (basedosdados BigLake, every column a STRING)."""
    return {f.name for f in existing.schema or ()} >= _OLD_RAW_COLUMNS


def foreign_owner(existing: bigquery.Table) -> str:
    """Who seems to own ``existing``, from what it shows, in a few words."""
    labels = existing.labels or {}
    columns = {f.name for f in existing.schema or ()}
    kind = _kind_of(existing)
    described = f" described {_shown(existing.description)}" if existing.description else ""
    if labels.get(OWNER_KEY) == DBT_PACKAGE_OWNER:
        return f"a model of betterstack-etl's dbt package ({kind})"
    if OWNER_KEY in labels:
        return f"{_shown(labels[OWNER_KEY])} (its {OWNER_KEY} label; a {kind})"
    if is_legacy_raw_table(existing):
        return (
            f"the old pipeline rj_iplanrio__betterstack_api's raw table (a {kind} whose columns "
            "id/attributes/relationships are STRING)"
        )
    if kind == "native table" and columns >= _DBT_INCIDENTS_COLUMNS:
        return f"the analysts' dbt model raw_eai_gateway_incidents (a native table{described})"
    if kind == "native table" and columns >= _DBT_KPI_COLUMNS:
        return f"the analysts' dbt model raw_eai_gateway_uptime_kpi (a native table{described})"
    if kind == "native table":
        return f"likely a dbt model (a native table{described})"
    if kind == "view":
        return f"someone's view (perhaps a dbt view model{described})"
    return f"someone else (a {kind}{described})"


def _shown(text: str | None) -> str:
    """A label or description as data: quoted, one line, at most 80 characters."""
    flat = " ".join(str(text or "").split())
    return repr(flat if len(flat) <= 80 else flat[:79] + "…")


@dataclass(frozen=True, slots=True)
class Collision:
    """An object with one of our names that is not ours; ``line()`` is what the user reads."""

    object_id: str
    owner: str
    fix: str

    @property
    def message(self) -> str:
        return f"{self.object_id} is not ours: it seems to be {self.owner}"

    def line(self) -> str:
        return f"{self.message} — {self.fix}"


def collision(existing: bigquery.Table, *, object_id: str, kind: Kind) -> Collision:
    """The refusal for ``existing`` (not ours) standing where we would create a ``kind``."""
    owner = foreign_owner(existing)
    if (existing.labels or {}).get(OWNER_KEY) == OWNER:  # ours, but not the kind wanted
        shown = object_id.replace(".", ":", 1)
        return Collision(
            object_id,
            f"ours, but a {_kind_of(existing)} where publish makes a {kind}",
            f"drop it (bq rm -f {shown}) and publish again",
        )
    if is_legacy_raw_table(existing):
        fix = (
            "retire the old pipeline's deployment and move its table aside, or land ours beside "
            "it with BETTERSTACK_BIGQUERY_LAYOUT=basedosdados (docs/cutover.md)"
        )
    elif "dbt" in owner:
        fix = (
            "keep it and publish elsewhere (BETTERSTACK_BIGQUERY_LAYOUT=basedosdados, or another "
            "BETTERSTACK_DATASET_ID), or disable that dbt model and drop the object first "
            "(docs/cutover.md)"
        )
    else:
        fix = (
            f"publish into another dataset (BETTERSTACK_DATASET_ID), or, if it is ours after "
            f"all, add the label {OWNER_KEY}={OWNER} to it (bq update --set_label "
            f"{OWNER_KEY}:{OWNER} {object_id.replace('.', ':', 1)})"
        )
    return Collision(object_id, owner, fix)
