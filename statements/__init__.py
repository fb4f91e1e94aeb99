"""Statements: drafting, the review gates, sign-off and publication; and the 舆情专报 sent to leaders."""
