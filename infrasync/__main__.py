from infrasync.cli import main

main()
