"""Run the OpenADR 3 command line: ``python -m custom_components.denki.lib.openadr``."""

import sys

from .cli import main

sys.exit(main())
