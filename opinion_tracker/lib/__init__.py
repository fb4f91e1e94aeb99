"""The shared library: what both apps use that is not the domain (Beijing time, durations in words,
input errors, bulk SQL, the API's and the admin's base pieces).

It imports neither app, and the apps may import it: the import contract (``.importlinter``, checked by
``make test``) holds it below both.
"""
