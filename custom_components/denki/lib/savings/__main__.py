"""Run the savings command line: ``python -m custom_components.denki.lib.savings``."""

import sys

from .cli import main

sys.exit(main())
