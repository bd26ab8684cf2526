"""`python -m aigw_fakeprovider`: the same as `aigw fake-provider`."""

import sys

from aigw_fakeprovider.cli import main

sys.exit(main(sys.argv[1:]))
