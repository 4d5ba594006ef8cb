"""``python -m tp8``: see :mod:`tp8.cli`."""

import sys

from .cli import main

sys.exit(main())
