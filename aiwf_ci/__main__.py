"""``python -m aiwf_ci`` is the ``aiwf-ci`` command."""

from aiwf_ci.cli.main import main

raise SystemExit(main())
