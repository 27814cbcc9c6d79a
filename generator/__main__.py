"""Entry point: `python -m generator build|check|list`."""

import sys

from .cli import main

sys.exit(main())
