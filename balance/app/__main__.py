import sys

from balance.app.cli import main

sys.exit(main())
