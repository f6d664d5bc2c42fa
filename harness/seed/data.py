"""Faker-made company data from a seed: the same seed always gives the same customers and jobs."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from faker import Faker

_JOB_TITLES = (
    "Boiler service",
    "Replace water heater",
    "Inspect HVAC unit",
    "Repair leaking valve",
    "Install thermostat",
    "Annual fire alarm check",
    "Fix garage door opener",
    "Rewire outdoor lighting",
)


@dataclass(frozen=True)
class Customer:
    key: str
    name: str
    address: str
    phone: str
    email: str


@dataclass(frozen=True)
class Job:
    key: str
    customer_key: str
    technician: str
    title: str
    scheduled_for: str
    line_items: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class CompanyData:
    customers: list[Customer]
    jobs: list[Job]


def make_company(seed: int, technicians: list[str], jobs_per_technician: int = 3,
                 day: date | None = None) -> CompanyData:
    """Customers and today's jobs for each technician; ``day`` defaults to 2026-11-25."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    day = day or date(2026, 11, 25)
    customers: list[Customer] = []
    jobs: list[Job] = []
    for tech in technicians:
        for n in range(jobs_per_technician):
            customer = Customer(
                key=f"{tech}-customer-{n + 1}",
                name=fake.name(),
                address=fake.address().replace("\n", ", "),
                phone=fake.phone_number(),
                email=fake.email(),
            )
            customers.append(customer)
            jobs.append(
                Job(
                    key=f"{tech}-job-{n + 1}",
                    customer_key=customer.key,
                    technician=tech,
                    title=rng.choice(_JOB_TITLES),
                    scheduled_for=day.isoformat(),
                    line_items=[
                        {
                            "description": fake.bs().capitalize(),
                            "quantity": rng.randint(1, 3),
                            "unit_price_cents": rng.randrange(2_000, 40_000, 500),
                        }
                        for _ in range(rng.randint(1, 3))
                    ],
                )
            )
    return CompanyData(customers=customers, jobs=jobs)
