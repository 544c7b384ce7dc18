"""`python -m app` does what the `seedly-desk` console script does."""

from app.cli import main

raise SystemExit(main())
