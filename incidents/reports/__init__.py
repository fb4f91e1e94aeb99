"""Compliance reporting for auditors (RULES.md, "Compliance figures auditors need")."""
