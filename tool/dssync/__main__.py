from dssync.cli import main

raise SystemExit(main())
