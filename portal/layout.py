"""What every page shares: the main navigation, the breadcrumb, and the one call that renders a
page in the layout (templates/base.html)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litestar.response import Template

from portal.reading import Reader


@dataclass(frozen=True)
class Link:
    label: str
    href: str | None = None  # None: the page itself, the breadcrumb's last step

    def is_current(self, path: str) -> bool:
        """Whether a page at `path` belongs to this entry of the main navigation."""
        return path == self.href or (
            self.href not in (None, "/") and path.startswith(f"{self.href}/")
        )


NAV = (
    Link("Overview", "/"),
    Link("Portfolio", "/portfolio"),
    Link("Pipeline & gates", "/pipeline"),
    Link("Capacity", "/capacity"),
    Link("Kaizen flow", "/kaizen"),
    Link("Alignment", "/alignment"),
    Link("Decision log", "/decisions"),
    Link("Audit", "/audit"),
    Link("Downloads", "/downloads"),
)
HOME = NAV[0]


def page(
    template: str,
    reader: Reader | None,
    *,
    title: str,
    crumbs: Sequence[Link] = (),
    status: int = 200,
    **context: Any,
) -> Template:
    """`template` (which extends base.html) with the layout's context.

    `crumbs` are the steps after the Overview, the last one the page itself (no href); the
    Overview's own crumbs are empty."""
    trail = (HOME, *crumbs) if crumbs else (Link(HOME.label),)
    return Template(
        template_name=template,
        context={"reader": reader, "title": title, "crumbs": trail, "nav": NAV, **context},
        status_code=status,
    )
