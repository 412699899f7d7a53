from catalog_service.cli import main

raise SystemExit(main())
