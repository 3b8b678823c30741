"""The return-to-refund rules, one home each (DESIGN §5.3).

Small pure functions, compiled inline into the journey's loops
(:mod:`sim.model.returns.kernels`) and unit-tested on their own: which channel pair a return
belongs to, what triggers its refund under legacy and harmonized processes, how long the scan
at the trigger takes, and how late a refund must be before it costs goodwill.
"""

from __future__ import annotations

from sim.model.plumbing.jit import inline_kernel

#: Channel pairs (bought -> returned): to the store it was bought in, online to a store
#: (BORIS, at the customer's store), online by mail (to the DC serving the customer).
STORE_TO_STORE, ONLINE_TO_STORE, ONLINE_TO_MAIL = 0, 1, 2
CHANNEL_PAIRS = ("store_to_store", "online_to_store", "online_to_mail")

#: What releases a refund: the scan (till or carrier's first scan), a person finishing an
#: exception (a lookup or an approval), or the DC bench's inspection and a finance batch.
AT_SCAN, AFTER_EXCEPTION, AFTER_INSPECTION = 0, 1, 2

#: Days a customer waits for a refund before the delay costs goodwill.
GOODWILL_FREE_DAYS = 2.0


@inline_kernel
def harmonized_for(pair: int, node_harmonized: bool, central_harmonized: bool) -> bool:
    """Whether a return runs the harmonized process (adoption is per node).

    A store return needs its store on the common disposition; a mailed return the DC taking
    it (a central system); a cross-channel (BORIS) return both the store taking it and the
    ecommerce platform the order lives in, or the store cannot see the order the common way.
    """
    if pair == ONLINE_TO_STORE:
        return node_harmonized and central_harmonized
    return node_harmonized


@inline_kernel
def refund_trigger(pair: int, harmonized: bool, unreceipted: bool, looked_up: bool) -> int:
    """What releases a return's refund.

    Harmonized ``return_disposition`` at the receiving node refunds at the first scan (a
    receipt-less return is checked afterwards). Legacy: a store return refunds at the till
    unless a receipt-less return needs an approval; a BORIS return that needs a customer-
    service lookup waits for it; a mailed return waits for the DC inspection.

    Args:
        pair: Channel pair code.
        harmonized: ``return_disposition`` harmonized at the receiving node that day.
        unreceipted: A receipt-less return the till cannot settle (store returns).
        looked_up: A legacy BORIS return that needs a lookup.
    """
    if pair == ONLINE_TO_MAIL:
        return AT_SCAN if harmonized else AFTER_INSPECTION
    if (unreceipted and not harmonized) or looked_up:
        return AFTER_EXCEPTION
    return AT_SCAN


@inline_kernel
def scan_mean_hours(pair: int, till_hours: float, first_scan_hours: float) -> float:
    """Mean time from a return's start to the scan that can refund it.

    The carrier's first scan for a mailed parcel, the till otherwise.
    """
    return first_scan_hours if pair == ONLINE_TO_MAIL else till_hours


@inline_kernel
def needs_lookup(pair: int, harmonized: bool, u: float, lookup_share: float) -> bool:
    """A legacy BORIS return the store system cannot match needs a customer-service lookup."""
    return pair == ONLINE_TO_STORE and not harmonized and u < lookup_share


@inline_kernel
def needs_approval(pair: int, u: float, unreceipted_rate: float, error_multiplier: float
                   ) -> bool:
    """A receipt-less store return the till cannot settle goes to store operations.

    More of them while a newly live store's staff are learning (the error multiplier).
    """
    return pair == STORE_TO_STORE and u < unreceipted_rate * error_multiplier


@inline_kernel
def goodwill_days(cycle_hours: float) -> float:
    """Refund-days beyond :data:`GOODWILL_FREE_DAYS` that a refund taking ``cycle_hours`` costs."""
    return max(cycle_hours / 24.0 - GOODWILL_FREE_DAYS, 0.0)
