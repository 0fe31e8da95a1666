"""``python -m slabhw``: the slabhw command."""

import sys

from .cli import main

sys.exit(main())
