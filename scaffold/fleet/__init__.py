"""The fleet: status and upgrade of many repositories at once, in child processes, with a history in SQLite.

It is a client of ``scaffold.api``, beside the CLI: nothing in the core or the flows imports it."""
