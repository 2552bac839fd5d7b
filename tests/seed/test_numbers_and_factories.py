"""Fictional numbers and Faker factories: valid, unique where they must be, reproducible where they can be."""

from __future__ import annotations

import pytest

from seed.factories import JOB_TEMPLATES, CatalogItem, TenantFactory, TenantOptions
from seed.numbers import AREA_CODES, NumberPlan, fictional_number, is_fictional


def factory(seed_text: str, plan_key: str = "run/w") -> TenantFactory:
    return TenantFactory(seed_text, numbers=NumberPlan(plan_key), unique_prefix="t")


def test_numbers_are_fictional_e164_and_never_repeat() -> None:
    plan = NumberPlan("run-1/gw0/tenant")
    numbers = [plan.next() for _ in range(250)]  # more than one area code's 100 lines
    assert len(set(numbers)) == 250
    for number in numbers:
        assert is_fictional(number), number
        assert number[5:8] == "555" and 100 <= int(number[8:]) <= 199


def test_area_codes_are_real_looking() -> None:
    for npa in AREA_CODES:
        assert 200 <= npa <= 999
        assert (npa // 10) % 10 != 9, "N9X is reserved"
        assert not ((npa // 10) % 10 == 1 and npa % 10 == 1), "N11 is a service code"
    assert fictional_number(212, 7) == "+12125550107"
    with pytest.raises(ValueError):
        fictional_number(911, 0)
    with pytest.raises(ValueError):
        fictional_number(212, 100)


def test_workers_and_runs_start_in_different_area_codes() -> None:
    firsts = {NumberPlan(f"run-{r}/gw{w}/tenant").next()[2:5] for r in range(5) for w in range(4)}
    assert len(firsts) >= 15  # 20 keys; a couple of hash collisions would be fine, a pattern would not


def test_same_test_gets_the_same_business_people_and_catalog() -> None:
    first, second = factory("e2e/test_x.py::test_a"), factory("e2e/test_x.py::test_a")
    assert first.business_name() == second.business_name()
    assert first.person("owner").name == second.person("owner").name
    assert first.catalog(4) == second.catalog(4)


def test_other_tests_get_other_data() -> None:
    names = {factory(f"e2e/test_x.py::test_{i}").business_name() for i in range(20)}
    assert len(names) > 10


def test_emails_are_unique_and_valid_even_for_the_same_seed() -> None:
    emails = [factory("same").person("owner").email for _ in range(5)]
    assert len(set(emails)) == 5
    assert all(e.endswith("@example.test") and e == e.lower() and " " not in e for e in emails)


def test_catalog_items_are_plausible_jobs() -> None:
    items = factory("catalog").catalog(len(JOB_TEMPLATES))
    assert len({i.name for i in items}) == len(JOB_TEMPLATES)
    aliases = [a for i in items for a in i.aliases]
    assert all(a == a.lower() for a in aliases)
    assert len(aliases) == len(set(aliases))
    for item in items:
        template = next(t for t in JOB_TEMPLATES if t.name == item.name)
        assert template.price_range_cents[0] <= item.price_cents <= template.price_range_cents[1]
        assert item.price_cents % 500 == 0 and item.duration_minutes > 0


def test_catalog_options_resolve_names_dicts_and_items() -> None:
    f = factory("options")
    own = CatalogItem("Gutter cleaning", ("gutter",), 9900, 45)
    options = TenantOptions(catalog=["Drain cleaning", own.to_api(), own])
    resolved = f.resolve_catalog(options)
    assert [i.name for i in resolved] == ["Drain cleaning", "Gutter cleaning", "Gutter cleaning"]
    assert f.resolve_catalog(TenantOptions(catalog=[])) == []
    assert len(f.resolve_catalog(TenantOptions(catalog_size=2))) == 2
    with pytest.raises(ValueError, match="no job template"):
        f.resolve_catalog(TenantOptions(catalog=["Rocket repair"]))


def test_tenant_options_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        TenantOptions(compliance="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        TenantOptions(techs=-1)
    with pytest.raises(TypeError, match="unknown tenant option"):
        TenantOptions.from_kwargs(compliance="pending", colour="red")
