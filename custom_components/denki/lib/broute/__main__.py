"""Run the B-route command line: ``python -m custom_components.denki.lib.broute``."""

import sys

from .cli import main

sys.exit(main())
