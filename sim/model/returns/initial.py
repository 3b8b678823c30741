"""Mailed returns under way when the run starts (:mod:`sim.initial_state`), to the DC bench.

Parcels dropped at the carrier before the run travel the rest of a fresh transit time (none
left: they wait at the DC from hour 0) and join the bench's first-come-first-served queue with
the run's own parcels. They started under the legacy process, so each refund waits for the
bench and the finance batch; its cycle counts from the drop-off (a negative start), booked in
week 0. Every draw comes from the ``initial_returns`` stream, so the run's other draws are those
of a run without them.
"""

from __future__ import annotations

import numpy as np

from sim.initial_state import InitialReturns
from sim.model.plumbing.sorting import counting_sort
from sim.model.returns.journey import TRANSIT_SHAPE, Returns
from sim.model.returns.records import PARCEL


def file_initial_returns(returns: Returns, items: InitialReturns, rng: np.random.Generator
                         ) -> int:
    """File the parcels under way at the start with the DC bench; returns how many were kept.

    On a slice each parcel is kept with the slice's share of the stores (the bench, sized by
    the slice's volume, is the slice's).
    """
    w = returns.w
    n = len(items.dc)
    u = rng.random((3, n))  # kept on a slice, disposition, unrecorded restock
    keep = u[0] < min(w.plan.store_share, 1.0)
    transit = rng.gamma(TRANSIT_SHAPE, returns.p["mail_transit_hours"] / TRANSIT_SHAPE, n)
    dc, sku, age = items.dc[keep], items.sku[keep], items.age_hours[keep]
    m = len(dc)
    if not m:
        return 0
    parcels = np.zeros(m, dtype=PARCEL)
    parcels["start"] = -age
    parcels["arrival"] = np.maximum(transit[keep] - age, 0.0)
    parcels["u_disp"], parcels["u_unrec"] = u[1, keep], u[2, keep]
    parcels["week"] = 0
    parcels["node"] = w.n_stores + dc
    parcels["sku"] = sku
    # The customers' region: the first region the DC serves (the counters need one).
    first_region = np.array([min(r) if r else w.n_regions for r in w.dc_regions])
    parcels["region"] = first_region[dc]
    parcels["harm"] = False
    order, bounds = counting_sort((parcels["arrival"] // 24.0).astype(np.int64), 0)
    sorted_parcels = np.empty_like(parcels)
    sorted_parcels[order] = parcels
    returns.bench.file(sorted_parcels, bounds, m)
    return m
