"""Casework (docs/rules.md, "Casework"): who handles an incident and how it moves between departments, and
the changes one person asks for and another decides. Every service here changes the incident in one
transaction with its timeline event, under the incident's lock (``incidents.services.locks``)."""
