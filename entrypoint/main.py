"""The action's container entry point: only hands over to the package."""

from aiwf_ci.action import main

raise SystemExit(main())
