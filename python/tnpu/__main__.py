"""``python -m tnpu``: the same as the ``tnpu`` command."""

import sys

from tnpu.cli import main

sys.exit(main())
