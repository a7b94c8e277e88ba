"""The database itself refuses to change a row of the access log (issue #17: never editable).

Deletes stay possible for the retention purge; an UPDATE from anywhere (a shell, a migration, a
bug) fails. Written per database, as each spells triggers its own way.
"""

from django.db import migrations

TABLE = "accounts_personaldataread"

POSTGRESQL = [
    """CREATE FUNCTION accounts_personaldataread_refuse_update() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the access log of personal data is append-only';
    END;
    $$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER accounts_personaldataread_no_update BEFORE UPDATE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION accounts_personaldataread_refuse_update()""",
]
POSTGRESQL_REVERSE = [
    f"DROP TRIGGER accounts_personaldataread_no_update ON {TABLE}",
    "DROP FUNCTION accounts_personaldataread_refuse_update()",
]
SQLITE = [
    f"""CREATE TRIGGER accounts_personaldataread_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'the access log of personal data is append-only'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER accounts_personaldataread_no_update"]


def forward(apps, schema_editor):
    for sql in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    for sql in {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_personal_data_read")]

    operations = [migrations.RunPython(forward, backward)]
