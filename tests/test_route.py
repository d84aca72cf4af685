from __future__ import annotations

import pytest

from monitoring.config import Department
from monitoring.enrich.route import Router

DEPARTMENTS = [
    Department(id="care", name={"en": "Care"}, default=True),
    Department(id="billing", name={"en": "Billing"}, keywords=["bill", "bolletta", "#rimborso"]),
    Department(id="ops", name={"en": "Operations"}, keywords=["senza luce", "outage"],
               languages=["it"]),
    Department(id="hr", name={"en": "HR"}, keywords=["lavora con noi", "job"],
               categories=["request", "other"]),
    Department(id="comms", name={"en": "Comms"}, keywords=["ceo"], categories=["polemic"]),
]
ROUTER = Router(DEPARTMENTS)


@pytest.mark.parametrize(
    ("text", "category", "lang", "department"),
    [
        ("My BILL is wrong", "request", "en", "billing"),
        ("billing error", "request", "en", "billing"),  # a keyword starts a word
        ("rebilled twice", "request", "en", "care"),  # not at a word start: default queue
        ("ancora #rimborso in attesa", "request", "it", "billing"),
        ("x#rimborso", "request", "it", "care"),
        ("siamo Senza   Luce", "request", "it", "care"),  # white space must match exactly
        ("siamo senza luce da ieri", "request", "it", "ops"),
        ("siamo senza luce da ieri", "request", "en", "care"),  # language rule
        ("bill and outage", "request", "it", "billing"),  # first department in order wins
        ("Lavora con noi: job posting", "other", "it", "hr"),
        ("the CEO again", "polemic", "en", "comms"),
        ("the CEO again", "praise", "en", None),  # unrouted non-request
        ("hello?", "request", "en", "care"),
    ],
)
def test_route(text: str, category: str, lang: str, department: str | None) -> None:
    assert ROUTER.route(text, category, lang) == department
