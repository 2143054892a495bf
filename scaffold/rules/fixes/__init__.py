"""The fixes rules propose: edits, their safety, and the tables they draw on."""
