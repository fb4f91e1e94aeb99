"""The web pages of notifications: a person's escalations, and the auditors' compliance page."""
