"""Family Rights Handouts: data files + layout templates -> verified one-page PDFs."""

__version__ = "0.1.0"

from .hardening import harden_reportlab  # noqa: E402

harden_reportlab()
