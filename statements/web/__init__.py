"""The statements app's pages: drafting and review, and the 舆情专报."""
