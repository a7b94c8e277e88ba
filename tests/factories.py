from datetime import date

import factory
from django.contrib.auth import get_user_model

from programs.models import Program
from students.models import Award, Membership, Student, University


class UniversityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = University

    name_ja = factory.Sequence(lambda n: f"テスト大学{n}")
    name_en = factory.Sequence(lambda n: f"Test University {n}")
    founder = "national"
    national_group = 1


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    university = factory.SubFactory(UniversityFactory)
    student_number = factory.Sequence(lambda n: f"D{n:06d}")
    family_name = "山田"
    given_name = factory.Sequence(lambda n: f"太郎{n}")
    field = "engineering"
    entry_date = date(2024, 4, 1)


class AwardFactory(factory.django.DjangoModelFactory):
    """Builds rows directly, for fixtures only; tests of writes go through the services. The
    derived tables are refreshed as the services would (pages that count read only them)."""

    class Meta:
        model = Award

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from students.facts import facts_refresh

        award = super()._create(model_class, *args, **kwargs)
        facts_refresh(student_ids=[award.student_id])
        return award

    student = factory.SubFactory(StudentFactory)
    program = factory.LazyFunction(lambda: Program.objects.get(code="SPRING"))
    start_date = date(2024, 4, 1)
    end_date = date(2027, 3, 31)
    annual_living_cost = 1_800_000
    annual_research_cost = 1_100_000


def user_with_role(username: str, role: str, university=None, programs=()):
    user = get_user_model().objects.create_user(username=username, password="pass-for-tests-1")
    membership = Membership.objects.create(user=user, role=role, university=university)
    membership.programs.set(programs)
    return user
