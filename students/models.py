from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.db.models.lookups import Exact, GreaterThan
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from phdsupport.access import Role
from phdsupport.history import audited_history
from phdsupport.validation import DATE_VALIDATORS, TERM_VALIDATORS, TEXT_VALIDATORS
from programs.models import Program
from students.managers import (
    AwardEventQuerySet,
    AwardQuerySet,
    StudentQuerySet,
    UniversityQuerySet,
    UploadJobQuerySet,
)


class Founder(models.TextChoices):
    NATIONAL = "national", _("国立")
    PUBLIC = "public", _("公立")
    PRIVATE = "private", _("私立")


class NationalGroup(models.IntegerChoices):
    G1 = 1, "①"
    G2 = 2, "②"
    G3 = 3, "③"
    G4 = 4, "④"
    G5 = 5, "⑤"
    G6 = 6, "⑥"


class Field(models.TextChoices):
    """The ten 学系 of national evaluation (DOMAIN.md: Universities)."""

    HUMANITIES = "humanities", _("人文科学系")
    SOCIAL_SCIENCES = "social_sciences", _("社会科学系")
    SCIENCE = "science", _("理学系")
    ENGINEERING = "engineering", _("工学系")
    AGRICULTURE = "agriculture", _("農学系")
    HEALTH = "health", _("保健系")
    EDUCATION = "education", _("教育系")
    INTEGRATED_HUMANITIES = "integrated_humanities", _("総合文系")
    INTEGRATED_SCIENCES = "integrated_sciences", _("総合理系")
    INTERDISCIPLINARY = "interdisciplinary", _("総合融合系")


class University(models.Model):
    """A university (or inter-university research institute) that reports awardees."""

    name_ja = models.CharField(_("名称"), max_length=100, unique=True)
    name_en = models.CharField(_("英語名"), max_length=200, blank=True)
    former_names = models.CharField(
        _("旧名称"), max_length=200, blank=True, help_text=_("資料に旧名称で載る場合（読点区切り）")
    )
    founder = models.CharField(_("設置者"), max_length=16, choices=Founder.choices)
    national_group = models.PositiveSmallIntegerField(
        _("国立大学グループ"), choices=NationalGroup.choices, null=True, blank=True
    )
    is_designated = models.BooleanField(_("指定国立大学"), default=False)
    spring_adopted = models.BooleanField(_("SPRING採択"), default=False)
    boost_adopted = models.BooleanField(_("BOOST採択"), default=False)
    is_synthetic = models.BooleanField(
        _("合成データ"), default=False, help_text=_("ベンチマーク用に生成された架空の大学")
    )

    objects = UniversityQuerySet.as_manager()
    # Who changed what: load_reference leaves a university a person has edited as it is.
    history = audited_history()

    class Meta:
        ordering = ["name_ja"]
        verbose_name = _("大学")
        verbose_name_plural = _("大学")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The English name on English pages where there is one, else the Japanese name."""
        return self.name_en if self.name_en and get_language() == "en" else self.name_ja


class Student(models.Model):
    """A doctoral student as recorded by one university (one record per university)."""

    class EntryRoute(models.TextChoices):
        """How the student came to the doctoral course (the Basic Plan's aim is about 70% of
        those entering from a master's course supported). Blank: not recorded."""

        MASTERS = "masters", _("修士課程（博士前期課程）から進学")
        UNDERGRADUATE = "undergraduate", _("学部（6年制等）から進学")
        EMPLOYMENT = "employment", _("就業先から入学（社会人）")
        ABROAD = "abroad", _("外国の大学等から入学")
        OTHER = "other", _("その他")

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("在籍")
        ON_LEAVE = "on_leave", _("休学")
        COMPLETED = "completed", _("修了")
        WITHDRAWN = "withdrawn", _("退学")

    university = models.ForeignKey(
        University, on_delete=models.PROTECT, related_name="students", verbose_name=_("大学")
    )
    student_number = models.CharField(_("学籍番号"), max_length=32, validators=TEXT_VALIDATORS)
    erad_number = models.CharField(
        _("研究者番号"),
        max_length=8,
        blank=True,
        db_index=True,
        validators=[RegexValidator(r"^\d{8}$", _("研究者番号は8桁の数字です。"))],
    )
    family_name = models.CharField(_("姓"), max_length=100, blank=True, validators=TEXT_VALIDATORS)
    given_name = models.CharField(_("名"), max_length=100, blank=True, validators=TEXT_VALIDATORS)
    field = models.CharField(_("学系"), max_length=32, choices=Field.choices)
    entry_date = models.DateField(_("博士後期課程入学日"), validators=DATE_VALIDATORS)
    standard_term_years = models.PositiveSmallIntegerField(
        _("標準修業年限（年）"), default=3, validators=TERM_VALIDATORS
    )
    status = models.CharField(_("在籍状況"), max_length=16, choices=Status.choices, default=Status.ENROLLED)
    completion_date = models.DateField(_("修了・退学日"), null=True, blank=True, validators=DATE_VALIDATORS)
    is_international = models.BooleanField(_("留学生"), default=False)
    is_working_adult = models.BooleanField(_("社会人学生"), default=False)
    # db_default: rows written by COPY (phdsupport/bulk.py, the bench's baseline) may leave it out
    entry_route = models.CharField(
        _("入学経路"), max_length=16, choices=EntryRoute.choices, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("版"), default=1)

    history = audited_history(excluded_fields=["updated_at"])
    objects = StudentQuerySet.as_manager()

    class Meta:
        ordering = ["university", "student_number"]
        verbose_name = _("学生")
        verbose_name_plural = _("学生")
        constraints = [
            models.UniqueConstraint(
                fields=["university", "student_number"],
                name="student_number_unique_per_university",
                violation_error_message=_("この学籍番号は既に登録されています。"),
            ),
            # DOMAIN.md (A person): "a student is recorded once per university (unique university +
            # e-Rad number where one is given)".
            models.UniqueConstraint(
                fields=["university", "erad_number"],
                condition=~models.Q(erad_number=""),
                name="student_erad_unique_per_university",
                violation_error_message=_("この研究者番号の学生はこの大学に既に登録されています。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.university} {self.student_number}"

    @property
    def is_enrolled(self) -> bool:
        return self.status in (self.Status.ENROLLED, self.Status.ON_LEAVE)


AWARD_ENDED = _("支援期間終了")


class RecordedLate(models.Func):
    """Whether a record was recorded more than one month after it happened, in SQL, as
    `dashboards.quality.recorded_late` says it in Python (calendar months, the recording time
    read in the current time zone): the stored `recorded_late` of awards and changes.

    On PostgreSQL: the recording time against the first late moment, the day plus one month
    (PostgreSQL clamps to the month's end, as relativedelta does) plus one day, at local
    midnight. Elsewhere, plain integers: recorded late ⇔ the local day of recording is after the
    day one month on. That day falls in the next month, and its day of month is the same day
    clamped to the month's length (31 January → 28 February); a recording in that month is after
    it exactly when its day of month is greater than the original day. So, with months counted
    as year × 12 + month: more than one month apart, or one month apart and a later day of month.
    """

    arity = 2  # the day it happened, the time it was recorded
    output_field = models.BooleanField()

    def as_sql(self, compiler, connection, **extra):
        happened, recorded = self.source_expressions

        def months(day):
            return ExtractYear(day) * 12 + ExtractMonth(day)

        apart = months(recorded) - months(happened)
        late = models.Q(GreaterThan(apart, 1)) | models.Q(
            Exact(apart, 1), GreaterThan(ExtractDay(recorded), ExtractDay(happened))
        )
        return compiler.compile(models.ExpressionWrapper(late, self.output_field).resolve_expression(compiler.query))

    def as_postgresql(self, compiler, connection, **extra):
        happened, happened_params = compiler.compile(self.source_expressions[0])
        recorded, recorded_params = compiler.compile(self.source_expressions[1])
        first_late = f"(({happened} + interval '1 month' + interval '1 day')::timestamp AT TIME ZONE %s)"
        return f"({recorded} >= {first_late})", [
            *recorded_params,
            *happened_params,
            timezone.get_current_timezone_name(),
        ]


class Award(models.Model):
    """One student's award under one program, from start to end (events change the end)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("支援中")
        SUSPENDED = "suspended", _("休止中")
        COMPLETED = "completed", _("支援終了（修了）")
        TERMINATED = "terminated", _("中途終了")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="awards", verbose_name=_("学生"))
    # The student's university, copied when the award is made (a student never changes university).
    # One university's awards then come from an index in id order; through the student, a list
    # page had to walk every award in the country to find those of a university that joined late.
    university = models.ForeignKey(
        University, on_delete=models.CASCADE, related_name="+", editable=False, db_index=False, verbose_name=_("大学")
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="awards", verbose_name=_("支援事業"))
    start_date = models.DateField(_("支援開始日"), validators=DATE_VALIDATORS)
    end_date = models.DateField(_("支援終了日"), validators=DATE_VALIDATORS)
    annual_living_cost = models.PositiveIntegerField(_("生活費相当額（年額・円）"))
    annual_research_cost = models.PositiveIntegerField(_("研究費（年額・円）"), default=0)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    is_reserved = models.BooleanField(_("予約採用"), default=False)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("版"), default=1)
    # Counts against the university's timeliness (dashboards.quality): kept by the database from
    # the two dates on every insert and update, whichever way the row is written.
    recorded_late = models.GeneratedField(
        expression=RecordedLate("start_date", "created_at"), output_field=models.BooleanField(), db_persist=True
    )

    history = audited_history(excluded_fields=["updated_at", "university", "recorded_late"])
    objects = AwardQuerySet.as_manager()

    class Meta:
        ordering = ["student", "start_date", "program"]
        verbose_name = _("支援")
        verbose_name_plural = _("支援")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "program", "start_date"],
                name="award_unique_student_program_start",
                violation_error_message=_("同じ学生・事業・開始日の支援が既にあります。"),
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="award_end_not_before_start",
                violation_error_message=_("終了日が開始日より前です。"),
            ),
        ]
        indexes = [
            models.Index(fields=["program", "start_date", "end_date"], name="award_program_period"),
            models.Index(fields=["university", "id"], name="award_university_id"),
            # The timeliness ranking and fix list: a university's late awards, oldest first.
            models.Index(
                fields=["university", "start_date", "id"],
                condition=models.Q(recorded_late=True),
                name="award_late_university",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.program.code} {self.start_date}〜{self.end_date}"

    def save(self, *args, **kwargs):
        if self.university_id is None:
            self.university_id = self.student.university_id
        super().save(*args, **kwargs)

    @property
    def status_label(self) -> str:
        """The status as read today: nothing closes an award on its end date, so an active or
        suspended award whose end date has passed reads as ended, not 支援中 (Ref: #13)."""
        if self.status in (self.Status.ACTIVE, self.Status.SUSPENDED) and self.end_date < timezone.localdate():
            return str(AWARD_ENDED)
        return self.get_status_display()

    @property
    def has_ended(self) -> bool:
        return self.end_date < timezone.localdate() or self.status in (self.Status.COMPLETED, self.Status.TERMINATED)

    @property
    def runs_past_completion(self) -> bool:
        """The award ends after the student completed or withdrew: months after that are not paid."""
        completion = self.student.completion_date
        return bool(completion and self.end_date > completion)


class AwardEvent(models.Model):
    """A dated change to an award; events are added, never edited away (DOMAIN.md)."""

    class Kind(models.TextChoices):
        SUSPENSION = "suspension", _("休止（休学・中断）")
        RESUMPTION = "resumption", _("再開")
        EXTENSION = "extension", _("延長")
        TERMINATION = "termination", _("中途終了")
        COMPLETION = "completion", _("修了による終了")
        AMOUNT_CHANGE = "amount_change", _("支給額の変更")

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="events", verbose_name=_("支援"))
    # The award's university, copied when the change is recorded (as Award.university): the
    # timeliness ranking counts every university's changes without reading the awards.
    university = models.ForeignKey(
        University, on_delete=models.CASCADE, related_name="+", editable=False, db_index=False, verbose_name=_("大学")
    )
    kind = models.CharField(_("種別"), max_length=16, choices=Kind.choices)
    start_date = models.DateField(_("開始日・発生日"), validators=DATE_VALIDATORS)
    end_date = models.DateField(_("終了日"), null=True, blank=True, validators=DATE_VALIDATORS)
    reason = models.CharField(_("理由"), max_length=500, blank=True, validators=TEXT_VALIDATORS)
    previous_end_date = models.DateField(_("変更前の支援終了日"), null=True, blank=True)
    # An amount change: the annual living-cost amount in force from `start_date` (DOMAIN.md:
    # Amounts in force); the award's own amount is the one from its start until the first change.
    annual_living_cost = models.PositiveIntegerField(_("変更後の生活費相当額（年額・円）"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("登録者")
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    # As the award's: kept by the database from the two dates (dashboards.quality).
    recorded_late = models.GeneratedField(
        expression=RecordedLate("start_date", "created_at"), output_field=models.BooleanField(), db_persist=True
    )

    history = audited_history(excluded_fields=["university", "recorded_late"])
    objects = AwardEventQuerySet.as_manager()

    class Meta:
        ordering = ["award", "start_date", "pk"]
        verbose_name = _("支援の異動")
        verbose_name_plural = _("支援の異動")
        indexes = [
            # The fix list: a university's late changes, oldest first.
            models.Index(
                fields=["university", "start_date", "id"],
                condition=models.Q(recorded_late=True),
                name="event_late_university",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date}"

    def save(self, *args, **kwargs):
        if self.university_id is None:
            self.university_id = self.award.university_id
        super().save(*args, **kwargs)


class Membership(models.Model):
    """A user's role, and the university or programs it is bound to."""

    Role = Role  # defined with what each role may do, in phdsupport.access

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(_("役割"), max_length=32, choices=Role.choices)
    university = models.ForeignKey(University, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("大学"))
    programs = models.ManyToManyField(Program, blank=True, verbose_name=_("担当事業"))
    can_certify = models.BooleanField(
        _("報告の提出権限"), default=False, help_text=_("大学担当者のうち、実績報告を提出（証明）できる人")
    )

    history = audited_history(m2m_fields=[programs])  # who gave whom which role

    class Meta:
        verbose_name = _("利用者の役割")
        verbose_name_plural = _("利用者の役割")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="university_staff") | models.Q(university__isnull=False),
                name="membership_staff_has_university",
                violation_error_message=_("大学担当者には大学が必要です。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()}"


class StudentYearFact(models.Model):
    """Derived: one row per student record per fiscal year (DESIGN.md flow step 3).

    Record-level columns (peak_rate, counts, program) serve a university's own figures;
    person-level columns serve the national total, where records sharing an e-Rad number
    are one person and exactly one of them is the representative.
    """

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="year_facts")
    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    person_key = models.CharField(max_length=24)
    peak_rate = models.PositiveIntegerField()
    counts = models.BooleanField()
    program = models.CharField(max_length=32, blank=True)
    is_representative = models.BooleanField()
    person_peak_rate = models.PositiveIntegerField()
    person_counts = models.BooleanField()
    person_program = models.CharField(max_length=32, blank=True)
    has_multiple_support = models.BooleanField(default=False)
    # A person with records at two or more universities in the year (a transfer) is in each of
    # their figures but once nationally (DOMAIN.md: A person). Person-level, on every record of
    # the person: counted at two or more universities under the floor in force, and the largest
    # what-if floor X at which they are (a record counts at X when its peak_rate >= X: the
    # second-highest of the per-university highest peaks); NULL with records at one university.
    person_several_universities = models.BooleanField(default=False)
    person_several_up_to = models.PositiveIntegerField(null=True)
    founder = models.CharField(max_length=16)
    national_group = models.PositiveSmallIntegerField(null=True)
    field = models.CharField(max_length=32)
    is_international = models.BooleanField()
    is_working_adult = models.BooleanField()

    class Meta:
        verbose_name = _("年度別集計用データ")
        verbose_name_plural = _("年度別集計用データ")
        constraints = [models.UniqueConstraint(fields=["student", "fiscal_year"], name="fact_one_per_student_year")]
        indexes = [
            models.Index(fields=["fiscal_year", "is_representative"], name="fact_year_representative"),
            models.Index(fields=["fiscal_year", "university"], name="fact_year_university"),
            # The national count and its trend read only the counted representative rows.
            models.Index(
                fields=["fiscal_year", "person_program"],
                condition=models.Q(is_representative=True, person_counts=True),
                name="fact_year_counted_person",
            ),
            # The university table: counted records per university and year, from the index alone.
            models.Index(
                fields=["fiscal_year", "university"],
                condition=models.Q(counts=True),
                name="fact_year_university_counted",
            ),
            # Persons counted at two or more universities: the few representatives of a transfer.
            models.Index(
                fields=["fiscal_year", "person_several_up_to"],
                condition=models.Q(is_representative=True, person_several_up_to__isnull=False),
                name="fact_year_several_universities",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} FY{self.fiscal_year}"


class StudentYearBand(models.Model):
    """Derived: what-if floors. For a student (or, `is_person`, the person the representative
    record carries) in a fiscal year, every what-if floor X with `above` < X ≤ `up_to` counts
    them and attributes them to `program` (DOMAIN.md: What-if floor). The attribution only
    changes where X passes a monthly rate, so a few rows answer every X ≥ ¥1 exactly."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="year_bands")
    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    is_person = models.BooleanField()
    # Serves the national figures: the person's own bands, or the record's bands where the
    # person has one record (most people), so those are not stored twice.
    national = models.BooleanField(default=False)
    above = models.PositiveIntegerField()
    up_to = models.PositiveIntegerField()
    program = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("試算用の基準額帯")
        verbose_name_plural = _("試算用の基準額帯")
        constraints = [
            models.UniqueConstraint(fields=["student", "fiscal_year", "is_person", "up_to"], name="band_one_per_level")
        ]
        indexes = [models.Index(fields=["fiscal_year", "national", "up_to"], name="band_year_level")]

    def __str__(self) -> str:
        return f"{self.student_id} FY{self.fiscal_year} ({self.above}, {self.up_to}] {self.program}"


class StudentYearAwards(models.Model):
    """Derived: how many awards of a program a student record holds at some point of a fiscal
    year (every program, postdoctoral included): the gross award counts the dashboards show
    beside the headcount, read from here so that a counting page reads only derived tables.
    Kept by the same refresh as the facts."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    program = models.CharField(max_length=32)
    awards = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("年度別の支援件数")
        verbose_name_plural = _("年度別の支援件数")
        constraints = [
            models.UniqueConstraint(fields=["student", "fiscal_year", "program"], name="award_count_one_per_program")
        ]
        indexes = [
            models.Index(fields=["fiscal_year", "university"], name="award_count_year_university"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} FY{self.fiscal_year} {self.program}: {self.awards}"


class NationalYearCount(models.Model):
    """Derived: the persons counted nationally (the representative rows with `person_counts`) by
    the fact columns fiscal year, attributed program and the breakdowns' columns: the national
    page's figures at the floor in force, read without scanning the facts.

    Kept exact by the facts refresh in the transaction that changes the fact rows: it inserts the
    signed change of each count it moved (new rows' counts minus the stored rows'), never updates
    a row, and a count is the sum of its rows. Two refreshes of different persons (an upload and a
    form edit, two universities) only insert, so they never wait for each other on a shared row
    nor deadlock, and no change is lost; counters updated in place would put every write in the
    country in one queue on the national rows for as long as its transaction lasts (a whole
    university's upload). The rebuild replaces the rows with the facts' counts (one row a count).
    """

    fiscal_year = models.PositiveSmallIntegerField()
    person_program = models.CharField(max_length=32, blank=True)
    founder = models.CharField(max_length=16)
    national_group = models.PositiveSmallIntegerField(null=True)
    field = models.CharField(max_length=32)
    is_international = models.BooleanField()
    is_working_adult = models.BooleanField()
    persons = models.IntegerField()  # a signed change of the count

    class Meta:
        verbose_name = _("全国の人数（年度別）")
        verbose_name_plural = _("全国の人数（年度別）")
        indexes = [models.Index(fields=["fiscal_year"], name="national_count_year")]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.person_program}: {self.persons:+}"


class UniversityYearCount(models.Model):
    """Derived: per university, fiscal year and program, the counted records attributed to the
    program (`counts`, `program`: the university's own figures) and the gross awards of the
    program (`StudentYearAwards`). Signed changes kept by the facts refresh as `NationalYearCount`."""

    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="+", db_index=False)
    fiscal_year = models.PositiveSmallIntegerField()
    program = models.CharField(max_length=32, blank=True)
    counted = models.IntegerField()  # signed changes of the counts
    awards = models.IntegerField()

    class Meta:
        verbose_name = _("大学別の人数と支援件数（年度別）")
        verbose_name_plural = _("大学別の人数と支援件数（年度別）")
        indexes = [models.Index(fields=["fiscal_year", "university"], name="university_count_year")]

    def __str__(self) -> str:
        return f"{self.university_id} FY{self.fiscal_year} {self.program}: {self.counted:+}, {self.awards:+}"


class StudentYearOverlap(models.Model):
    """Derived: a pair of programs paying one student living cost in the same month of a year."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="year_overlaps")
    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    person_key = models.CharField(max_length=24)
    program_a = models.CharField(max_length=32)
    program_b = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("重複受給（年度別）")
        verbose_name_plural = _("重複受給（年度別）")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "fiscal_year", "program_a", "program_b"], name="overlap_one_per_pair"
            )
        ]
        indexes = [models.Index(fields=["fiscal_year", "university"], name="overlap_year_university")]

    def __str__(self) -> str:
        return f"{self.student_id} FY{self.fiscal_year} {self.program_a}+{self.program_b}"


class FactsVersion(models.Model):
    """A counter bumped after every change of the derived facts; dashboards cache by it."""

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("集計データの版")
        verbose_name_plural = _("集計データの版")

    def __str__(self) -> str:
        return str(self.version)


class UploadJob(models.Model):
    """One uploaded file: checked (nothing written), then applied all or nothing."""

    class State(models.TextChoices):
        CHECKING = "checking", _("確認中")
        CHECKED = "checked", _("確認済み")
        REJECTED = "rejected", _("エラーあり")
        APPLYING = "applying", _("反映中")
        APPLIED = "applied", _("反映済み")
        FAILED = "failed", _("失敗")

    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="upload_jobs")
    # What the file holds: "students" (students and awards) or a kind another app registers
    # (students.uploads.register_upload_kind), run by the same check/apply machinery.
    kind = models.CharField(max_length=32, default="students", db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.CHECKING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict)
    message = models.TextField(blank=True)
    # The uploader's language: the worker checks and applies in it, so the row messages read as
    # the page the file was sent from (a worker has no request to take a language from).
    language = models.CharField(max_length=8, blank=True, default="", db_default="")
    # What the check before the preview read (students.imports.plan: its fingerprint): the apply
    # reads it again under its locks and runs the rules again only if it differs.
    check_fingerprint = models.CharField(max_length=80, blank=True, default="", db_default="")
    # The run doing the check or apply beats here; silent longer than UPLOAD_STALE_SECONDS, it is dead.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Each run (a first delivery, a redelivery taking over, a retry) claims the job by raising this;
    # only the run holding the current attempt may report progress or finish the job.
    attempt = models.PositiveIntegerField(default=0)
    # For a failed job, the state a retry starts again from (checking or applying); empty: no retry.
    retry_state = models.CharField(max_length=16, blank=True)

    objects = UploadJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("アップロード")
        verbose_name_plural = _("アップロード")

    def __str__(self) -> str:
        return f"{self.university} {self.filename} {self.get_state_display()}"

    @property
    def percent(self) -> int:
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0

    @property
    def is_running(self) -> bool:
        return self.state in (self.State.CHECKING, self.State.APPLYING)

    @property
    def can_retry(self) -> bool:
        return self.state == self.State.FAILED and bool(self.retry_state)


class ApiKey(models.Model):
    """A key for a university's system (scope read or write) or a ministry system (aggregates).

    Only a hash is stored; the key is shown once, when it is issued.
    """

    class Scope(models.TextChoices):
        READ = "read", _("読み取り")
        WRITE = "write", _("読み書き")
        MINISTRY = "ministry", _("省庁（集計のみ）")

    name = models.CharField(_("名前"), max_length=100, validators=TEXT_VALIDATORS)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    university = models.ForeignKey(University, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys")
    scope = models.CharField(_("権限"), max_length=16, choices=Scope.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(_("発行日時"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最終使用日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("失効日時"), null=True, blank=True)

    # Issue and revocation, by whom; use is in last_used_at (written without history).
    history = audited_history(excluded_fields=["key_hash", "last_used_at"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("APIキー")
        verbose_name_plural = _("APIキー")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope="ministry", university__isnull=True)
                | (~models.Q(scope="ministry") & models.Q(university__isnull=False)),
                name="apikey_university_matches_scope",
                violation_error_message=_("大学のキーには大学が、省庁のキーには大学なしが必要です。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed for the same key."""

    owner = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    path = models.CharField(max_length=255)
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_one_per_owner_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_at")]  # the hourly purge

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class ReminderSent(models.Model):
    """A reminder that went out, so that beat running daily sends each one once."""

    key = models.CharField(max_length=200, unique=True)
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("送信済みの督促")
        verbose_name_plural = _("送信済みの督促")

    def __str__(self) -> str:
        return self.key


class YearLock(models.Model):
    """A fiscal year of one program's awards at one university that may no longer change.

    Written by the reports app when an officer accepts the annual report, removed on reopening;
    every write to awards and events checks it (students.services.check_unlocked).
    """

    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="+", verbose_name=_("大学"))
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", verbose_name=_("支援事業"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    locked_at = models.DateTimeField(_("確定日時"), auto_now_add=True)

    class Meta:
        ordering = ["university", "program", "fiscal_year"]
        verbose_name = _("確定した年度")
        verbose_name_plural = _("確定した年度")
        constraints = [
            models.UniqueConstraint(fields=["university", "program", "fiscal_year"], name="year_lock_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.university} {self.program.code} FY{self.fiscal_year}"
