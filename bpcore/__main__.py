from bpcore.cli import main

raise SystemExit(main())
