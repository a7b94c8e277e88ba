"""Upload benchmark: the product's upload path against django-import-export's fast path and a raw
COPY of the same rows, each into its own university of the same database."""

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


def ours(university, content: bytes, user) -> tuple[float, int, float, float]:
    """The product's own upload path, as the pages drive it with no broker: `upload_create`
    (the file stored, read and checked against the university's data: what the user waits for
    before the preview) then `upload_apply_start` (checked again against the data as it is now,
    then students, awards and their history written, the facts refreshed, all or nothing).
    Returns (whole upload seconds, awards written, check seconds, apply seconds)."""
    from students import uploads
    from students.models import Award

    start = time.perf_counter()
    job = uploads.upload_create(university=university, filename="bench.csv", content=content, acting_user=user)
    checked = time.perf_counter()
    job.refresh_from_db()
    assert job.state == job.State.CHECKED, (job.state, job.message, str(job.result)[:300])
    job = uploads.upload_apply_start(job=job, acting_user=user)
    applied = time.perf_counter()
    assert job.state == job.State.APPLIED, (job.state, job.message)
    written = Award.objects.filter(university=university).count()
    return applied - start, written, checked - start, applied - checked


def import_export(university, content: bytes) -> tuple[float, int]:
    """django-import-export importing the same rows as a Django team would configure it, with the
    library's fast paths: use_bulk (batches of 1,000), skip_diff, the students' file matched to the
    university's students in one query (CachedInstanceLoader), each award row's student looked up
    once by university and number (with its university, so the row's description costs no query),
    the nine programs read once, no history (bulk writes send no signals). No domain rules: it
    checks nothing. Per award row it still asks the database twice: the student, and whether the
    award exists (the library's instance loader, by student, program and start date)."""
    import tablib
    from import_export import fields, instance_loaders, resources, widgets

    from programs.models import Program
    from students.models import Award, Student

    class UniversityStudentWidget(widgets.ForeignKeyWidget):
        """The student by university and number, once per row (the loader and the field share it)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.row_student = (None, None)

        def get_queryset(self, value, row, *args, **kwargs):
            return Student.objects.filter(university=university).select_related("university")

        def clean(self, value, row=None, **kwargs):
            if self.row_student[0] != value:
                self.row_student = (value, super().clean(value, row, **kwargs))
            return self.row_student[1]

    class ProgramWidget(widgets.ForeignKeyWidget):
        """The nine programs, read once."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.by_code = {p.code: p for p in Program.objects.all()}

        def clean(self, value, row=None, **kwargs):
            return self.by_code[value] if value else None

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
            instance_loader_class = instance_loaders.CachedInstanceLoader

        def before_save_instance(self, instance, row, **kwargs):
            instance.university = university

        def get_queryset(self):
            return Student.objects.filter(university=university)

    class AwardResource(resources.ModelResource):
        student = fields.Field(
            attribute="student", column_name="student_number", widget=UniversityStudentWidget(Student, "student_number")
        )
        program = fields.Field(attribute="program", column_name="program", widget=ProgramWidget(Program, "code"))

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
