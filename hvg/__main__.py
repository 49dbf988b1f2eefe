"""`python -m hvg`: see hvg.cli."""

from hvg.cli import main

raise SystemExit(main())
