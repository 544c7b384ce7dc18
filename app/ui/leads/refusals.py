"""Refusals of the Leads tab, said once, where they happened.

An action the balance or the daily budget refuses (Search, Load more, Research) gets one
sentence, worded for that action ("25 per page costs up to 3 credits, and …"), at the
action itself, with the way out as a button ("Raise budget…"); the meter only shows its
state (the budget figure in the danger colour, "over today's budget"). A newer refusal
replaces the older one, and the sentence goes (or is re-worded) as soon as its cause
changes: the budget raised, credits bought, the page size or the selection changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.credits import Estimate, Refusal, RefusalReason
from app.services.ports.leads import CreditMeter
from app.ui.common.messages import FieldMessage
from app.ui.leads.meter import credits_text

if TYPE_CHECKING:
    from app.ui.leads.tab import LeadsTab

SEARCH, LOAD_MORE, RESEARCH = "search", "load_more", "research"
RAISE_BUDGET = "Raise budget…"


@dataclass(frozen=True)
class Wording:
    """A refusal as said at its action: the sentence and the button's label (None: none)."""

    text: str
    action: str | None


def _left(count: int) -> str:
    return f"{count:,} {'is' if count == 1 else 'are'}"


def cost_of(action: str, estimate: Estimate, per_page: int, noun: str) -> str:
    """What the refused action costs, in its own words ("25 per page costs up to 3
    credits", "Researching 12 people costs up to 12 credits")."""
    cost = estimate.text.lower()
    if action == SEARCH:
        return f"{per_page} per page costs {cost}"
    if action == LOAD_MORE:
        return f"The next {per_page} {noun} cost {cost}"
    return f"Researching {estimate.charged:,} {noun} costs {cost}"


def word_refusal(
    action: str,
    estimate: Estimate,
    refusal: Refusal,
    meter: CreditMeter | None,
    *,
    per_page: int,
    noun: str,
) -> Wording:
    """The sentence at the refused ``action`` ("search", "load_more", "research") and the
    button that lifts it, if the app has one."""
    cost = cost_of(action, estimate, per_page, noun)
    fewer = "select fewer" if action == RESEARCH else "choose fewer per page"
    if refusal.reason is RefusalReason.DAILY_BUDGET:
        budget = meter.daily_budget if meter is not None else None
        left = meter.budget_left if meter is not None else None
        if budget is not None and left is not None:
            text = f"{cost}, and {_left(left)} left of today's budget of {credits_text(budget)}."
        else:
            text = f"{cost}: more than is left of today's budget."
        if action != LOAD_MORE:
            text += f" Raise the budget or {fewer}."
        return Wording(text, RAISE_BUDGET)
    available = meter.available if meter is not None else None
    if available is not None:
        verb = "is" if available == 1 else "are"
        text = f"{cost}, but only {credits_text(available)} {verb} available."
    else:
        text = f"{cost}: more than the balance."
    text += f" Buy credits in Seamless.AI{'' if action == LOAD_MORE else ' or ' + fewer}."
    return Wording(text, None)


class RefusalSpots:
    """Where the tab says its refusals: one sentence at a time, at the refused action
    (the message under the filters for Search, the one beside Load more, the banner for
    Research), cleared or re-worded when its cause changes."""

    def __init__(self, tab: LeadsTab) -> None:
        self.tab = tab
        self.shown: str | None = None
        """The action whose refusal is said now (None: none)."""

    def spot(self, action: str) -> FieldMessage | None:
        """The message at ``action`` (None: the banner says it)."""
        if action == SEARCH:
            return self.tab.search_message
        if action == LOAD_MORE:
            return self.tab.load_message
        return None

    def wording(self, action: str) -> tuple[Estimate, Refusal, Wording] | None:
        """How ``action``'s refusal is said now (None: it is not refused)."""
        tab = self.tab
        found = tab.estimate_for(action)
        if found is None:
            return None
        _label, estimate, refusal = found
        if refusal is None:
            return None
        side = tab.side
        per_page = tab.page_size_value
        if action == LOAD_MORE and side.pager is not None:
            per_page = side.pager.page_size
        noun = side.model.noun if action != SEARCH else ""
        if action == RESEARCH:
            noun = "companies" if side.companies else "people"
        words = word_refusal(
            action, estimate, refusal, tab.current_meter, per_page=per_page, noun=noun
        )
        return estimate, refusal, words

    def refuse(self, action: str, *, on_meter: bool = True) -> bool:
        """Say ``action``'s refusal at the action (the older one goes) and, ``on_meter``,
        the meter's state; False when ``action`` is not refused after all."""
        found = self.wording(action)
        if found is None:
            return False
        estimate, refusal, words = found
        self.clear()
        self.shown = action
        spot = self.spot(action)
        tab = self.tab
        if spot is None:
            tab.show_banner("danger", words.text, words.action, self._lift(refusal), owner=action)
        else:
            spot.show_text(words.text, words.action)
        label = tab.estimate_for(action)
        if on_meter and label is not None:
            tab.meter.show_estimate(label[0], estimate, refusal)
        return True

    def _lift(self, refusal: Refusal) -> Callable[[], object] | None:
        if refusal.reason is RefusalReason.DAILY_BUDGET:
            return self.tab.ask_budget
        return None

    def clear(self) -> None:
        """Take back the refusal said (a new action starts, or its cause went)."""
        action, self.shown = self.shown, None
        if action is None:
            return
        spot = self.spot(action)
        if spot is not None:
            spot.clear()
        elif self.tab.banner_owner == action:
            self.tab.hide_banner()

    def _meter_follows(self) -> None:
        """The meter leaves the state of a refusal that went: the estimate under the
        cursor, else the hint."""
        tab = self.tab
        hover = getattr(tab, "hover", None)
        if hover is not None and hover.active():
            tab.refresh_estimate()
        else:
            tab.meter.clear_estimate()

    def recheck(self) -> None:
        """The meter, the page size or the selection moved: the refusal said is re-worded,
        or taken back when the action would go now; Load more, refused before it is
        pressed, says so beside its button when nothing else is said."""
        action = self.shown
        if action is not None:
            found = self.wording(action)
            if found is None:
                self.clear()
                self._meter_follows()
            else:
                spot = self.spot(action)
                words = found[2]
                if spot is not None:
                    spot.show_text(words.text, words.action)
                elif self.tab.banner_owner == RESEARCH:
                    lift = self._lift(found[1])
                    self.tab.show_banner("danger", words.text, words.action, lift, owner=RESEARCH)
        if self.shown is None:
            self.refuse(LOAD_MORE, on_meter=False)


__all__ = [
    "LOAD_MORE",
    "RAISE_BUDGET",
    "RESEARCH",
    "SEARCH",
    "RefusalSpots",
    "Wording",
    "cost_of",
    "word_refusal",
]
