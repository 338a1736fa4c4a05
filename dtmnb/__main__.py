"""``python -m dtmnb``: the same as the ``dtmnb`` command."""
import sys

from .cli import main

sys.exit(main())
