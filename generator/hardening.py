"""Start-up: ReportLab settings that keep untrusted text away from code, files and the network.

Applied once when the package is imported. Data never reaches ReportLab markup unescaped
(see blocks.py); these settings are the second wall behind that one.
"""

from __future__ import annotations

import reportlab
from reportlab import rl_config

MIN_REPORTLAB = (5, 0, 1)  # 3.6.13 fixed CVE-2023-33733; the project requires 5.0.1 or later


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def harden_reportlab() -> None:
    if _version(reportlab.Version) < MIN_REPORTLAB:
        raise RuntimeError(f"ReportLab {reportlab.Version} is too old; run `make` to install the pinned version")
    rl_config.toColorCanUse = None  # colours are names or hex literals, never evaluated expressions
    rl_config.trustedHosts = []  # ReportLab may fetch nothing from any host
    rl_config.trustedSchemes = []
    rl_config.invariant = 1  # same input, same bytes
