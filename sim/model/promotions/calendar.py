"""Calendar tables the volume draws from: promotion lift and discount per week and SKU."""

from __future__ import annotations

import numpy as np
import pandas as pd


def promo_tables(promotions: pd.DataFrame, skus: pd.DataFrame, weeks: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expand promotion events into per-week, per-SKU arrays.

    Args:
        promotions: Events (start_week, weeks, category, discount, lift).
        skus: SKU table (category, promo_eligible).
        weeks: Number of horizon weeks (the 52-week calendar repeats past a year).

    Returns:
        ``(lift, discount, event)``, each ``(weeks, skus)``: demand multiplier, discount
        fraction, and the index of the event in force (-1 where none). Where events overlap,
        the larger discount wins.
    """
    n_sku = len(skus)
    lift = np.ones((weeks, n_sku))
    discount = np.zeros((weeks, n_sku))
    event = np.full((weeks, n_sku), -1, dtype=np.int64)
    eligible = skus["promo_eligible"].to_numpy(bool)
    category = skus["category"].astype(str).to_numpy()
    for i, ev in enumerate(promotions.itertuples(index=False)):
        cat = str(ev.category)
        mask = eligible & ((category == cat) | (cat == "all"))
        for year in range(0, weeks, 52):
            for w in range(int(ev.start_week) - 1, int(ev.start_week) - 1 + int(ev.weeks)):
                ww = year + w
                if 0 <= ww < weeks:
                    better = mask & (float(ev.discount) > discount[ww])
                    lift[ww, better] = float(ev.lift)
                    discount[ww, better] = float(ev.discount)
                    event[ww, better] = i
    return lift, discount, event
