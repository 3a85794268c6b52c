import factory

from servicefirst.accounts.models import Bank, Unit
from servicefirst.accounts.services import staff_create

PASSWORD = "Counter-2026!"  # noqa: S105 - test password


class BankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bank
        django_get_or_create = ("code",)

    code = "sfb"
    name_zh = "先服银行"
    name_en = "ServiceFirst Bank"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    bank = factory.SubFactory(BankFactory)
    code = factory.Sequence(lambda n: f"br{n:03d}")
    name_zh = factory.Sequence(lambda n: f"第{n}支行")
    name_en = factory.Sequence(lambda n: f"Branch {n}")
    kind = Unit.Kind.BRANCH
    line = Unit.Line.FIRST


_counter = iter(range(1, 10**9))


def make_staff(
    *roles: str,
    unit: Unit | None = None,
    username: str | None = None,
    ui_language: str = "en",
    name: str | None = None,
):
    """A member of staff holding the given roles, with password PASSWORD."""
    n = next(_counter)
    return staff_create(
        username=username or f"staff{n}",
        password=PASSWORD,
        name=name or f"Staff {n}",
        employee_number=f"E{n:06d}",
        unit=unit or UnitFactory(),
        roles=list(roles),
        ui_language=ui_language,
    )
