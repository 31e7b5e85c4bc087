"""`python -m service.cli`: the same command line as the `ivig-cds` script."""

import sys

from service.cli import main

sys.exit(main())
