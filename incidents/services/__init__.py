"""Domain services: plain functions that take arguments (``now`` among them) and return results.

Views, admin, commands and tasks are thin shells around these.
"""
