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
    #: The lower-cased keywords anywhere (a cheap scan: it starts at their first letters);
    #: ``pattern`` can match only where this one does.
    anywhere: re.Pattern[str] | None = None


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
                _literal_pattern(d.keywords) if d.keywords else None,
            )
            for d in self.departments
        ]
        self._by_category: dict[str, list[_Rule]] = {}
        defaults = [d.id for d in self.departments if d.default]
        self.default = defaults[0] if defaults else (self.departments[0].id if self.departments else None)

    def route(self, text: str, category: str, lang: str) -> str | None:
        rules = self._by_category.get(category)
        if rules is None:
            rules = [r for r in self._rules if r.pattern is not None and category in r.categories]
            if len(self._by_category) < 1_000:
                self._by_category[category] = rules
        lowered = text.lower() if rules else ""
        for rule in rules:
            if rule.languages and lang not in rule.languages:
                continue
            if rule.anywhere.search(lowered) and rule.pattern.search(lowered):
                return rule.department
        return self.default if category == "request" else None


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """One alternation; a keyword matches at a word start (so 'bill' matches 'billing')."""
    return re.compile(r"(?<!\w)(?:" + _alternatives(keywords) + ")")


def _literal_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """The keywords anywhere, word start or not (a necessary condition of
    :func:`_keyword_pattern`'s match; with no keyword both match anywhere).

    >>> a, b = _literal_pattern(["bill"]), _keyword_pattern(["bill"])
    >>> bool(a.search("rebilled")), bool(b.search("rebilled"))
    (True, False)
    """
    return re.compile(_alternatives(keywords))


def _alternatives(keywords: Sequence[str]) -> str:
    alts = sorted({re.escape(k.lower()) for k in keywords if k.strip()}, key=len, reverse=True)
    return "|".join(alts)
