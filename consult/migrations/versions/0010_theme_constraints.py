"""theme constraints

The database keeps a round's current theme names unique (letter case aside) and proposes a
comment for a theme once, so two members of staff saving at the same moment cannot make
duplicates that the services' checks alone would let through.

Existing duplicates are resolved first: of the current themes of a round that share a name,
the oldest keeps it and the others get " (2)", " (3)" … (their version is bumped, so an open
form notices); of the proposals of one comment for one theme, the decided one (else the
first) is kept and the others deleted (a proposal is the tagger's suggestion, not anyone's
words). Works on SQLite and PostgreSQL.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CURRENT_THEME = "retired_at IS NULL"
NAME_MAX = 200


def _free_name(name: str, taken: set[str]) -> str:
    """Return ``name`` with the first " (n)" that no name in ``taken`` has (letter case aside)."""
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = name[: NAME_MAX - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        number += 1


def _rename_duplicate_themes(connection) -> None:
    rows = connection.execute(
        sa.text(f"SELECT id, round_id, name FROM theme WHERE {CURRENT_THEME} ORDER BY id")
    ).all()
    taken: dict[int, set[str]] = {}
    for _, round_id, name in rows:
        taken.setdefault(round_id, set()).add(name.lower())
    seen: dict[int, set[str]] = {}
    for theme_id, round_id, name in rows:
        names = seen.setdefault(round_id, set())
        if name.lower() not in names:
            names.add(name.lower())
            continue
        new = _free_name(name, taken[round_id])
        taken[round_id].add(new.lower())
        names.add(new.lower())
        connection.execute(
            sa.text("UPDATE theme SET name = :name, version = version + 1 WHERE id = :id"),
            {"name": new, "id": theme_id},
        )


def _delete_duplicate_proposals(connection) -> None:
    rows = connection.execute(
        sa.text(
            "SELECT id, theme_id, comment_id, decided_at FROM theme_proposal"
            " WHERE (theme_id, comment_id) IN ("
            "  SELECT theme_id, comment_id FROM theme_proposal"
            "  GROUP BY theme_id, comment_id HAVING count(*) > 1)"
            " ORDER BY id"
        )
    ).all()
    groups: dict[tuple[int, int], list] = {}
    for row in rows:
        groups.setdefault((row.theme_id, row.comment_id), []).append(row)
    doomed = []
    for members in groups.values():
        kept = next((m for m in members if m.decided_at is not None), members[0])
        doomed += [m.id for m in members if m.id != kept.id]
    for start in range(0, len(doomed), 500):
        connection.execute(
            sa.text("DELETE FROM theme_proposal WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": doomed[start : start + 500]},
        )


def upgrade() -> None:
    connection = op.get_bind()
    _rename_duplicate_themes(connection)
    _delete_duplicate_proposals(connection)
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.create_index(
            "uq_theme_round_current_name",
            ["round_id", "name"],
            unique=True,
            sqlite_where=sa.text(CURRENT_THEME),
            postgresql_where=sa.text(CURRENT_THEME),
        )
    with op.batch_alter_table("theme_proposal", schema=None) as batch_op:
        batch_op.create_index(
            "uq_theme_proposal_theme_comment", ["theme_id", "comment_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("theme_proposal", schema=None) as batch_op:
        batch_op.drop_index("uq_theme_proposal_theme_comment")
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.drop_index("uq_theme_round_current_name")
