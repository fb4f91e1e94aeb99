"""Compliance reporting for auditors (docs/rules.md, "Compliance figures")."""
