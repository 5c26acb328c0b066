"""Run the evaluation: ``python -m nlp.evaluate``."""

import sys

from .cli import main

sys.exit(main())
