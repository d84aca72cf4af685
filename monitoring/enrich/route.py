"""Department routing: configurable keyword / category / language rules.

The first department whose rule matches wins, in configuration order; requests that
match no rule go to the default queue (the department marked ``default``, else the
first one).  Non-request mentions that match no rule are left unrouted (``None``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitoring.config import Department


@dataclass(frozen=True, slots=True)
class _Rule:
    department: str
    pattern: re.Pattern[str] | None
    categories: frozenset[str]
    languages: frozenset[str]


class Router:
    """Route a classified mention to the department that owns it.

    Examples
    --------
    >>> from monitoring.config import Department
    >>> r = Router([
    ...     Department(id="care", name={"en": "Care"}, default=True),
    ...     Department(id="billing", name={"en": "Billing"}, keywords=["bill", "bolletta"]),
    ... ])
    >>> r.route("My BILL is wrong", "request", "en"), r.route("hello?", "request", "en")
    ('billing', 'care')
    >>> r.route("great ad", "praise", "en") is None
    True
    """

    def __init__(self, departments: Sequence[Department]):
        self.departments = list(departments)
        self._rules = [
            _Rule(
                d.id,
                _keyword_pattern(d.keywords) if d.keywords else None,
                frozenset(d.categories),
                frozenset(d.languages),
            )
            for d in self.departments
        ]
        defaults = [d.id for d in self.departments if d.default]
        self.default = defaults[0] if defaults else (self.departments[0].id if self.departments else None)

    def route(self, text: str, category: str, lang: str) -> str | None:
        lowered = text.lower()
        for rule in self._rules:
            if rule.pattern is None or category not in rule.categories:
                continue
            if rule.languages and lang not in rule.languages:
                continue
            if rule.pattern.search(lowered):
                return rule.department
        return self.default if category == "request" else None


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """One alternation; a keyword matches at a word start (so 'bill' matches 'billing')."""
    alts = sorted({re.escape(k.lower()) for k in keywords if k.strip()}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + ")")
