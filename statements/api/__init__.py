"""The REST API of the statements app: drafts, their gates, sign-off and publication; the 舆情专报."""
