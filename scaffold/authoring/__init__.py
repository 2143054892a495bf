"""Writing packs: ``scaffold pack init`` (a pack that extends the built-in kit, ready to edit) and ``scaffold pack
test`` (every example answer set renders an audit-clean kit under the pack's own policy)."""
