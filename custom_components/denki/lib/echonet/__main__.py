"""Run the ECHONET Lite command line: ``python -m custom_components.denki.lib.echonet``."""

import sys

from .cli import main

sys.exit(main())
