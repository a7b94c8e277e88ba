"""Award.university: the student's university, copied onto each award so that one university's
awards come from an index in id order (see the field's comment in students/models.py)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_university_from_student(apps, schema_editor):
    Award = apps.get_model("students", "Award")
    Student = apps.get_model("students", "Student")
    Award.objects.update(
        university_id=Subquery(Student.objects.filter(pk=OuterRef("student_id")).values("university_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0007_report_deadline_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="award",
            name="university",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="students.university",
                verbose_name="大学",
            ),
        ),
        migrations.RunPython(copy_university_from_student, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="award",
            name="university",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="students.university",
                verbose_name="大学",
            ),
        ),
        migrations.AddIndex(
            model_name="award",
            index=models.Index(fields=["university", "id"], name="award_university_id"),
        ),
    ]
