"""The pages' shell: signing in and out, where each person lands, the top bar and the error pages.

Each app owns its own pages and declares its top-bar entries (``opinion_tracker.lib.pages``); the shell
only reads those declarations.
"""
