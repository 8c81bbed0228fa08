"""`python -m ember run script.py` is `ember run script.py`."""
import sys

from .cli import main

sys.exit(main())
