"""The REST API of the notifications app: the inbox, acknowledgement, and the compliance reports."""
