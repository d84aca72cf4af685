from __future__ import annotations

import math
from datetime import datetime

import pandas as pd

from monitoring.i18n import Translator
from monitoring.ui.charts import volume_figure


def test_band_polygon_leaves_out_bins_without_a_band() -> None:
    """The newest bin has no band yet: the band is drawn over the bins that have one."""
    volume = pd.DataFrame({
        "bin_start": [datetime(2026, 1, 1, 10, m) for m in range(4)],
        "n": [3, 4, 5, 6], "n_negative": [1, 1, 1, 1],
        "expected": [3.0, 3.5, 4.0, None], "low": [1.0, 1.0, 1.5, None],
        "high": [6.0, 6.0, 7.0, None]})
    band = volume_figure(volume, pd.DataFrame(), Translator("en")).data[0]
    assert band.name == "Normal band"
    assert len(band.y) == 6
    assert not any(y is None or (isinstance(y, float) and math.isnan(y)) for y in band.y)
    assert list(band.y) == [6.0, 6.0, 7.0, 1.5, 1.0, 1.0]
