"""Reports and careers become apps of their own (reports/, careers/). Their tables are renamed
here and their models leave this app's state; reports 0001 and careers 0001 take them over
without touching the data (SeparateDatabaseAndState)."""

from django.db import migrations

MOVED = [
    # (model, new table), referencing models before the ones they reference
    ("reportevent", "reports_reportevent"),
    ("report", "reports_report"),
    ("historicalreportdeadline", "reports_historicalreportdeadline"),
    ("reportdeadline", "reports_reportdeadline"),
    ("historicalcareeroutcome", "careers_historicalcareeroutcome"),
    ("careeroutcome", "careers_careeroutcome"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0008_award_university"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name=model, table=table) for model, table in MOVED],
            state_operations=[migrations.DeleteModel(name=model) for model, _table in MOVED],
        )
    ]
