"""`python -m minyi.cli`: the `minyi` command without its console script."""

from minyi.cli import main

raise SystemExit(main())
