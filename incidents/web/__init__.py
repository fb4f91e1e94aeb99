"""The web pages of incidents: signing in, the duty dashboard, logging and handling an incident."""
