"""The exception taxonomy: every type of manual work, the team that owns it (DESIGN §5.5).

Handling times (``handling_hours_<type>``) are model parameters; SLAs belong to the teams.
"""

from __future__ import annotations

#: The exception types, in report order.
EXCEPTION_TYPES = (
    "inventory_mismatch",
    "manual_reroute",
    "pickup_failure",
    "return_lookup",
    "unreceipted_return",
    "price_dispute",
    "sync_failure",
    "reconciliation",
    "cutover_defect",
    "user_incident",
)

#: Which team owns each exception type.
OWNER = {
    "inventory_mismatch": "store_ops",
    "manual_reroute": "customer_service",
    "pickup_failure": "store_ops",
    "return_lookup": "customer_service",
    "unreceipted_return": "store_ops",
    "price_dispute": "customer_service",
    "sync_failure": "it_hypercare",
    "reconciliation": "finance",
    "cutover_defect": "it_hypercare",
    "user_incident": "it_hypercare",
}

#: Types whose count follows the assortment's unit volume (sales, orders, returns, counted
#: store-SKU cells, promoted units), so a ``network.skus`` subset raises that share of them;
#: the others follow stores and hours whatever the assortment (a night's reconciliation, a
#: feed's outages, a go-live's defects and incidents).
SCALES_WITH_VOLUME = frozenset({"inventory_mismatch", "manual_reroute", "pickup_failure",
                                "return_lookup", "unreceipted_return", "price_dispute"})

#: Integer code of each type (the desk's columns hold codes).
KIND = {name: i for i, name in enumerate(EXCEPTION_TYPES)}

#: Why staff are added to a team for a while (:meth:`ExceptionDesk.add_staff`); each has its
#: ``<purpose>_staff_hours`` counter, so the staff-hours a plan adds are paid for.
ADDED_STAFF_PURPOSES = ("hypercare", "command_center", "close_surge")
