from ram_emulator.cli import main

raise SystemExit(main())
