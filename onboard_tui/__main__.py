from onboard_tui.cli import main

main()
