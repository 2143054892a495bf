"""The rule engine: documents parsed once (``document``, ``yaml_view``, ``lines``), the rules of each file kind
and the kit rules (``catalog.REGISTRY``), the runner that applies them (``runner``), the controls a repository must
keep (``requirements``, ``guards``) and the fixes rules propose (``fixes``). Importing this package loads no rule.
"""
