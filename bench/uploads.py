"""Upload benchmark: our check + apply against django-import-export on the same file and models."""

from __future__ import annotations

import time


def award_file(rows: int, prefix: str = "B") -> bytes:
    from students import imports

    lines = [",".join(imports.headers("en"))]
    for i in range(rows):
        lines.append(
            f"{prefix}{i:06d},,山田,花子,engineering,2025-04-01,3,enrolled,,0,0,SPRING,2025-04-01,2028-03-31,"
            "1800000,1100000,0"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def ours(university, content: bytes, user) -> tuple[float, int]:
    from students import imports

    start = time.perf_counter()
    plan = imports.import_check(university=university, content=content, filename="bench.csv")
    assert plan.result.ok, plan.result.errors[:3]
    result = imports.import_apply(plan=plan, acting_user=user)
    return time.perf_counter() - start, result.awards_created


def import_export(university, content: bytes) -> tuple[float, int]:
    """django-import-export importing the same rows as a Django team would configure it: its bulk
    path (use_bulk, no diff, batches of 1,000), each student looked up once per row by university
    and number, no history (bulk writes send no signals). No domain rules: it checks nothing."""
    import tablib
    from import_export import fields, resources, widgets

    from programs.models import Program
    from students.models import Award, Student

    class UniversityStudentWidget(widgets.ForeignKeyWidget):
        def get_queryset(self, value, row, *args, **kwargs):
            return Student.objects.filter(university=university)

    class StudentResource(resources.ModelResource):
        class Meta:
            model = Student
            import_id_fields = ("student_number",)
            fields = (
                "student_number",
                "erad_number",
                "family_name",
                "given_name",
                "field",
                "entry_date",
                "standard_term_years",
                "status",
                "is_international",
                "is_working_adult",
            )
            use_bulk = True
            skip_diff = True
            batch_size = 1000

        def before_save_instance(self, instance, row, **kwargs):
            instance.university = university

        def get_queryset(self):
            return Student.objects.filter(university=university)

    class AwardResource(resources.ModelResource):
        student = fields.Field(
            attribute="student", column_name="student_number", widget=UniversityStudentWidget(Student, "student_number")
        )
        program = fields.Field(
            attribute="program", column_name="program", widget=widgets.ForeignKeyWidget(Program, "code")
        )

        class Meta:
            model = Award
            import_id_fields = ("student", "program", "start_date")
            fields = (
                "student",
                "program",
                "start_date",
                "end_date",
                "annual_living_cost",
                "annual_research_cost",
                "is_reserved",
            )
            use_bulk = True
            skip_diff = True
            batch_size = 1000

        def before_save_instance(self, instance, row, **kwargs):
            instance.university_id = university.pk  # Award.save() would copy it; bulk writes skip save()

        def get_queryset(self):
            return Award.objects.filter(university=university)

    start = time.perf_counter()
    dataset = tablib.Dataset().load(content.decode("utf-8"), format="csv")
    students = StudentResource().import_data(dataset, dry_run=False, raise_errors=True)
    dataset = tablib.Dataset().load(content.decode("utf-8"), format="csv")
    awards = AwardResource().import_data(dataset, dry_run=False, raise_errors=True)
    assert not students.has_errors()
    assert not awards.has_errors()
    written = Award.objects.filter(university=university).count()
    return time.perf_counter() - start, written


def raw_copy(university, content: bytes) -> tuple[float, int]:
    """The limit: PostgreSQL's COPY of the same file into a staging table, then one INSERT … SELECT
    for the students and one for their awards. No checks, no history, no facts."""
    from django.db import connection, transaction

    columns = (
        "student_number text, erad_number text, family_name text, given_name text, field text, entry_date date, "
        "standard_term_years int, status text, completion_date date, is_international bool, "
        "is_working_adult bool, program text, start_date date, end_date date, annual_living_cost int, "
        "annual_research_cost int, is_reserved bool"
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_staging ({columns}) ON COMMIT DROP")
        with cursor.cursor.copy("COPY bench_staging FROM STDIN (FORMAT csv, HEADER true)") as copy:
            copy.write(content)
        cursor.execute(
            """
            INSERT INTO students_student (university_id, student_number, erad_number, family_name, given_name,
                field, entry_date, standard_term_years, status, completion_date, is_international,
                is_working_adult, created_at, updated_at, version)
            SELECT %s, student_number, COALESCE(erad_number, ''), COALESCE(family_name, ''),
                COALESCE(given_name, ''), field, entry_date, standard_term_years, status, completion_date,
                is_international, is_working_adult, now(), now(), 1
            FROM bench_staging
            """,
            [university.pk],
        )
        cursor.execute(
            """
            INSERT INTO students_award (student_id, university_id, program_id, start_date, end_date,
                annual_living_cost, annual_research_cost, status, is_reserved, created_at, updated_at, version)
            SELECT s.id, %s, p.id, b.start_date, b.end_date, b.annual_living_cost, b.annual_research_cost,
                'active', b.is_reserved, now(), now(), 1
            FROM bench_staging b
            JOIN students_student s ON s.university_id = %s AND s.student_number = b.student_number
            JOIN programs_program p ON p.code = b.program
            """,
            [university.pk, university.pk],
        )
        written = cursor.rowcount
    return time.perf_counter() - start, written


def through_the_product(university, content: bytes) -> None:
    """An upload as the product takes it without a broker: stored and counted, checked, then
    applied (students.uploads), all in this one process, the heaviest a user's upload touches."""
    from students import uploads

    job = uploads.upload_create(university=university, filename="bench.csv", content=content, acting_user=None)
    job.refresh_from_db()
    assert job.state == job.State.CHECKED, (job.state, job.message, str(job.result)[:300])
    job = uploads.upload_apply_start(job=job, acting_user=None)  # as the page's apply button
    assert job.state == job.State.APPLIED, job.state


def peak_memory_mb(rows: int) -> float:
    """Peak resident memory (ru_maxrss) of a fresh process checking and applying a file of
    `rows` rows through the product (bench.common)."""
    from bench.common import peak_memory_mb as child_peak

    return child_peak(["--only", "upload-memory", "--rows", str(rows)])[0]
