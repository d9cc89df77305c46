"""Keyset pages of the portfolio view in any of its orders, forward and back.

A cursor names one row (its id); the next page is the rows after that row in the order asked
for, compared on the row's values as they are now, so one cursor serves every order. Ties go by
id in the same direction; a missing value (no sponsor, no owner) comes last in either direction."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from psycopg.sql import SQL, Composable, Composed, Identifier

PORTFOLIO = Identifier("reporting", "portfolio")


@strawberry.enum(description="What the portfolio can be ordered by; ties go by id.")
class PortfolioOrderField(Enum):
    ID = "id"
    TITLE = "title"
    PATH = "path"
    STAGE = "stage"
    ORG_UNIT = "org_unit"
    SPONSOR = "sponsor"
    OWNER = "owner"
    NEXT_REVIEW_DUE = "next_review_due"
    UPDATED_AT = "updated_at"


@strawberry.enum(description="Ascending (A to Z, oldest first) or descending.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input(
    description="An order of the portfolio: a field and a direction. Ties go by id in the same "
    "direction; items without a sponsor or an owner come last either way."
)
class PortfolioOrder:
    field: PortfolioOrderField
    direction: OrderDirection = OrderDirection.ASC


NULLABLE = frozenset({PortfolioOrderField.SPONSOR, PortfolioOrderField.OWNER})


@dataclass(frozen=True)
class Keyset:
    """One order of the portfolio, scanned forward (next pages) or backward (previous ones)."""

    field: PortfolioOrderField
    descending: bool
    backward: bool

    @classmethod
    def of(cls, order: PortfolioOrder | None, backward: bool) -> Keyset:
        if order is None:
            return cls(PortfolioOrderField.ID, descending=False, backward=backward)
        return cls(order.field, order.direction is OrderDirection.DESC, backward)

    @property
    def _scans_down(self) -> bool:
        return self.descending != self.backward

    def _terms(self) -> list[Composable]:
        """The values a row is ordered by, most significant first."""
        column, row_id = Identifier(self.field.value), Identifier("id")
        if self.field is PortfolioOrderField.ID:
            return [row_id]
        if self.field in NULLABLE:  # a flag that puts rows without a value last
            flag = "({} IS NOT NULL)" if self.descending else "({} IS NULL)"
            return [SQL(flag).format(column), SQL("coalesce({}, '')").format(column), row_id]
        return [column, row_id]

    def order_by(self) -> Composed:
        way = SQL(" DESC" if self._scans_down else " ASC")
        return SQL(", ").join(SQL("{}{}").format(term, way) for term in self._terms())

    def beyond(self, anchor: UUID) -> tuple[Composed, list[Any]]:
        """The condition that a row comes after the row `anchor` in the direction scanned."""
        terms = SQL(", ").join(self._terms())
        compare = SQL("<" if self._scans_down else ">")
        if self.field is PortfolioOrderField.ID:
            return SQL("id {} %s").format(compare), [anchor]
        return SQL("({}) {} (SELECT {} FROM {} WHERE id = %s)").format(
            terms, compare, terms, PORTFOLIO
        ), [anchor]
