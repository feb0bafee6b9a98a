"""Step 3's migration engine: mail sources, targets, the ledger, the engine and its runner.

Plain Python (no Textual): the wizard, the headless `onboard-tui run` and the tests all
drive the same `MigrationService` (onboard_tui.mail.service).
"""
