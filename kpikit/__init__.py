"""kpikit: a notebook kit for KPI-alignment engagements.

The package is the product; the notebooks and the ``kpikit`` command line are thin
faces over this API.

>>> import kpikit
>>> eng = kpikit.load_engagement("clients/demo-harbor")   # doctest: +SKIP
"""

from kpikit.data.config import EngagementConfig, Pillar
from kpikit.data.model import Engagement, SaveResult
from kpikit.data.store import load_engagement
from kpikit.errors import (
    EngagementError,
    KpikitError,
    NotAnEngagementError,
    Problem,
    StaleFileError,
)
from kpikit.periods import Period

__version__ = "0.1.0"

__all__ = [
    "Engagement",
    "EngagementConfig",
    "EngagementError",
    "KpikitError",
    "NotAnEngagementError",
    "Period",
    "Pillar",
    "Problem",
    "SaveResult",
    "StaleFileError",
    "__version__",
    "load_engagement",
]
