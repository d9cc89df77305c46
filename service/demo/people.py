"""The demo's people: who holds which role at Nordwerk, each acting under their own identity."""

from __future__ import annotations

from dataclasses import dataclass

from domain.values import Actor


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    title: str
    role: str

    @property
    def actor(self) -> Actor:
        return Actor(self.id, (self.role,))

    @property
    def token_arguments(self) -> str:
        """What `polarity` takes to mint this person's token."""
        return f"token --sub {self.id} --role {self.role}"


# The portfolio office and the continuous-improvement office keep the records.
PRIYA = Person("priya.shah", "Priya Shah", "Head of the Portfolio Office", "steward")
TOMAS = Person("tomas.berg", "Tomas Berg", "Continuous Improvement Lead", "steward")
# Executives sponsor initiatives and own the objectives.
MARIA = Person("maria.santos", "Maria Santos", "Chief Commercial Officer", "sponsor")
DAVID = Person("david.okafor", "David Okafor", "Chief Financial Officer", "sponsor")
ANNA = Person("anna.lindqvist", "Anna Lindqvist", "Chief Operating Officer", "sponsor")
KENJI = Person("kenji.tanaka", "Kenji Tanaka", "Chief Information Officer", "sponsor")
# The investment committee decides the gates; none of them proposes or sponsors anything.
HELEN = Person(
    "helen.wright", "Helen Wright", "Chief Executive, chairs the committee", "gatekeeper"
)
RAFAEL = Person("rafael.moreno", "Rafael Moreno", "Group Controller", "gatekeeper")
INGRID = Person("ingrid.falk", "Ingrid Falk", "Director of Strategy", "gatekeeper")
SAMUEL = Person("samuel.adeyemi", "Samuel Adeyemi", "Director of Engineering", "gatekeeper")
# Managers propose initiatives.
LENA = Person("lena.fischer", "Lena Fischer", "Sales Development Manager", "contributor")
OMAR = Person("omar.haddad", "Omar Haddad", "Logistics Manager", "contributor")
SOFIA = Person("sofia.rossi", "Sofia Rossi", "Finance Transformation Manager", "contributor")
MARCO = Person("marco.bianchi", "Marco Bianchi", "Service Business Manager", "contributor")
# Team leaders raise and run the improvement items of their teams.
JAKOB = Person("jakob.weber", "Jakob Weber", "Team Leader, Line 3", "contributor")
FATIMA = Person("fatima.ali", "Fatima Ali", "Team Leader, Finance Operations", "contributor")
CHEN = Person("chen.li", "Chen Li", "Supervisor, Supply Chain", "contributor")
EVA = Person("eva.novak", "Eva Novak", "Team Leader, Customer Service", "contributor")
SAM = Person("sam.osei", "Sam Osei", "Engineer, Digital Factory", "contributor")
# Internal audit reads everything and records nothing.
NOAH = Person("noah.keller", "Noah Keller", "Internal Auditor", "auditor")

PEOPLE = (
    *(PRIYA, TOMAS, MARIA, DAVID, ANNA, KENJI, HELEN, RAFAEL, INGRID, SAMUEL),
    *(LENA, OMAR, SOFIA, MARCO, JAKOB, FATIMA, CHEN, EVA, SAM, NOAH),
)
GATEKEEPERS = (HELEN, RAFAEL, INGRID, SAMUEL)
