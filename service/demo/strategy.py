"""Nordwerk's strategic initiatives over eighteen months, drawn from the article's examples, and
the two pieces of work that changed path: one escalated, one redirected."""

from __future__ import annotations

from decimal import Decimal

from domain.classification import Criteria, Scope
from domain.commands import ClassifyImprovementItem, ClassifyInitiative, ProposeInitiative
from domain.gates import Outcome
from service.demo.improvements import Kaizen, improved, raise_item
from service.demo.initiatives import Benefit, Booking, Decision, Setback, Venture, governed
from service.demo.organisation import Organisation
from service.demo.people import (
    ANNA,
    DAVID,
    JAKOB,
    KENJI,
    LENA,
    MARCO,
    MARIA,
    OMAR,
    PRIYA,
    SOFIA,
    TOMAS,
)
from service.demo.timeline import Step, Story

GO, CONDITIONAL_GO = Outcome.GO, Outcome.CONDITIONAL_GO
HOLD, RECYCLE, KILL = Outcome.HOLD, Outcome.RECYCLE, Outcome.KILL
M = Decimal(1_000_000)


def big(scope: Scope, months: int, *, system: bool, market: bool, capital: Decimal) -> Criteria:
    return Criteria(scope, months, system, market, capital, reversible=False)


# Title, problem, org unit, expected benefits, proposer, sponsor, criteria, the objective it serves,
# its team, FTE a quarter and budget; then when it was proposed and what each gate decided.
VENTURES = (
    Venture(
        "Automate warehouse picking", "Picking errors cost 2% of revenue", "Operations",
        "picking errors down 80%; two days off order-to-delivery", OMAR, ANNA,
        big(Scope.CROSS_FUNCTIONAL, 18, system=True, market=False, capital=Decimal("0.9") * M),
        "delivery", "Supply Chain", Decimal(3), Decimal("0.9") * M, proposed=385,
        gates=(
            Decision(372, GO, "the shuttle pilot in aisle 2 proved the concept"),
            Decision(345, GO, "payback in 26 months on the controller's numbers"),
            Decision(318, GO, "integrator contracted; the team is named"),
            Decision(150, GO, "operations signed the handover checklist"),
            Decision(25, GO, "errors down 84%; the benefits are banked"),
        ),
        benefit=Benefit("picking errors avoided", Decimal(400_000), Decimal(430_000), "EUR"),
    ),
    Venture(
        "Digitise order-to-cash", "Orders pass through five systems and two spreadsheets",
        "Finance", "invoice in a day; 12 days less outstanding", SOFIA, DAVID,
        big(Scope.ENTERPRISE, 24, system=True, market=False, capital=Decimal("0.6") * M),
        "cost", "Digital Factory", Decimal(3), Decimal("0.6") * M, proposed=380,
        gates=(
            Decision(365, GO, "one of the board's three priorities"),
            Decision(330, GO, "the case holds even at half the benefit"),
            Decision(290, GO, "the platform is chosen and the squad is in place"),
            Decision(45, GO, "finance operations runs it; the old systems are read-only"),
        ),
        benefit=Benefit("days sales outstanding cut", Decimal(12), Decimal(9), "days"),
    ),
    Venture(
        "Enter the Nordic market", "Home-region growth has stalled", "Sales",
        "8% more revenue within three years", LENA, MARIA,
        big(Scope.ENTERPRISE, 36, system=False, market=True, capital=Decimal("1.5") * M),
        "markets", "Nordic Expansion", Decimal(4), Decimal("1.2") * M, proposed=360,
        gates=(
            Decision(340, GO, "the region fits the growth strategy"),
            Decision(300, CONDITIONAL_GO, "the case depends on the distributors",
                     conditions=("two distributors sign letters of intent",), cleared=280,
                     evidence="letters of intent from Oslo and Gothenburg"),
            Decision(240, GO, "distributors signed; the country manager is hired"),
        ),
        setback=Setback(80, "the Finnish distributor withdrew", "sell direct in Finland",
                        "distributor coverage"),
    ),
    Venture(
        "Move finance to a shared-services model", "Four finance teams do the same work",
        "Finance", "a quarter less cost in finance", SOFIA, DAVID,
        big(Scope.ENTERPRISE, 30, system=True, market=False, capital=Decimal("0.35") * M),
        "cost", "Finance Operations", Decimal(2), Decimal("0.35") * M, proposed=350,
        gates=(
            Decision(335, GO, "consolidation is in the cost programme"),
            Decision(300, GO, "the works council agreed the consultation plan"),
            Decision(230, GO, "the centre's lead is appointed"),
            Decision(35, RECYCLE, "service levels are not met yet; come back with a plan"),
        ),
        setback=Setback(30, "the ledger migration slipped two months",
                        "contractors for the migration", "works council approval"),
    ),
    Venture(
        "Build a regional distribution centre", "Lead times to the south exceed 9 days",
        "Operations", "order-to-delivery in the south from 9 days to 4", OMAR, ANNA,
        big(Scope.CROSS_FUNCTIONAL, 48, system=True, market=False, capital=Decimal(12) * M),
        "delivery", "Supply Chain", Decimal(4), Decimal(3) * M, proposed=300,
        gates=(
            Decision(285, GO, "lead times are the first complaint of southern customers"),
            Decision(175, GO, "the site option is secured for a year"),
        ),
    ),
    Venture(
        "Consolidate suppliers into strategic partnerships", "400 suppliers, no leverage",
        "Operations", "4% off the cost of materials", OMAR, ANNA,
        Criteria(Scope.FUNCTION, 10, False, False, Decimal(0), True),
        "cost", "Supply Chain", Decimal(1), Decimal(0), proposed=280,
        override="the partnership terms bind the group for five years",
        gates=(
            Decision(255, GO, "purchasing can run it with the sponsor's backing"),
            Decision(150, HOLD, "wait for the distribution-centre decision"),
        ),
        reviews_stop=120,
    ),
    Venture(
        "Open an e-commerce channel for spare parts", "Parts orders arrive by fax", "Sales",
        "parts revenue up 15%", LENA, MARIA,
        big(Scope.CROSS_FUNCTIONAL, 18, system=False, market=True, capital=Decimal("0.4") * M),
        "services", "Digital Factory", Decimal(1), Decimal(0), proposed=260,
        gates=(
            Decision(240, GO, "customers ask for it"),
            Decision(185, KILL, "a marketplace offers the same at a tenth of the cost"),
        ),
        scoping=Booking("Digital Factory", Decimal(1), "scoping the web shop"),
    ),
    Venture(
        "Shift from products to service contracts", "Margins on hardware keep falling",
        "Sales", "service revenue from 8% to 30% of the total", MARCO, MARIA,
        big(Scope.ENTERPRISE, 60, system=True, market=True, capital=Decimal("0.8") * M),
        "services", "Nordic Expansion", Decimal(2), Decimal("0.8") * M, proposed=140,
        gates=(
            Decision(110, CONDITIONAL_GO, "promising, but pricing is unproven",
                     conditions=("confirm pricing with two pilot customers",)),
        ),
        scoping=Booking("Nordic Expansion", Decimal(3), "pilot customers in the Nordics",
                        approved_by=DAVID, why_approved="pilots cannot wait a quarter"),
    ),
    Venture(
        "Launch predictive maintenance as a service", "Customers pay for unplanned downtime",
        "Sales", "a new recurring revenue line", MARCO, KENJI,
        big(Scope.ENTERPRISE, 36, system=True, market=True, capital=Decimal("0.5") * M),
        "services", "Digital Factory", Decimal(2), Decimal("0.5") * M, proposed=20,
    ),
)  # fmt: skip

# Raised as an improvement, found strategic: escalated into an initiative.
MES = Kaizen(
    "Replace the plant MES", "Digital Factory", "systems to retire", Decimal(7), Decimal(1),
    raised=230, objective="defects",
)  # fmt: skip
MES_CRITERIA = big(Scope.ENTERPRISE, 30, system=True, market=False, capital=Decimal("2.4") * M)
MES_VENTURE = Venture(
    MES.title, "the MES is out of support in two years", "IT", "one system on every line",
    TOMAS, KENJI, MES_CRITERIA, "delivery", "Digital Factory", Decimal(2), Decimal("2.4") * M,
    proposed=229,
    gates=(
        Decision(200, GO, "the MES is out of support soon"),
        Decision(130, GO, "the vendor shortlist is down to two"),
        Decision(60, GO, "contract signed; the first line goes live in spring"),
    ),
)  # fmt: skip

# Proposed as an initiative, found operational: redirected into an improvement item.
FIVE_S = Venture(
    "Standardise 5S across all plants", "Plants run 5S differently", "Operations", "",
    JAKOB, ANNA, Criteria(Scope.FUNCTION, 4, False, False, Decimal(0), True), "delivery",
    "Line 3 Production", Decimal(1), Decimal(0), proposed=200,
)  # fmt: skip
FIVE_S_KAIZEN = Kaizen(
    FIVE_S.title, "Line 3 Production", "5S audit score", Decimal(55), Decimal(80),
    raised=197, objective="defects", weeks=6,
)  # fmt: skip


def escalated(org: Organisation, number: int) -> Story:
    """Raised by the Digital Factory; the improvement office finds it strategic."""
    raised = yield from raise_item(org, MES, number)
    classify = ClassifyImprovementItem(raised, MES_CRITERIA, reason="replaces a core system")
    result = yield Step(org.calendar.ago(MES.raised - 1, 10), TOMAS, classify)
    org.initiatives.extend(result.related)
    yield from governed(org, MES_VENTURE, number, result.related[0])


def redirected(org: Organisation, number: int) -> Story:
    """Proposed as an initiative; the portfolio office finds it is kaizen work."""
    calendar = org.calendar
    proposal = ProposeInitiative(FIVE_S.title, FIVE_S.problem, org_unit=FIVE_S.org_unit)
    proposed = yield Step(calendar.ago(FIVE_S.proposed, 9, 30), FIVE_S.proposer, proposal)
    org.initiatives.append(proposed.id)
    classify = ClassifyInitiative(proposed.id, FIVE_S.criteria, reason="refines existing work")
    result = yield Step(calendar.ago(FIVE_S_KAIZEN.raised, 10), PRIYA, classify)
    org.items.extend(result.related)
    yield from improved(org, FIVE_S_KAIZEN, number, result.related[0])
