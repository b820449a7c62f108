"""``python -m cosmos3_eval.cli``: the same as the ``cosmos3-eval`` command."""

import sys

from cosmos3_eval.cli.main import main

sys.exit(main())
