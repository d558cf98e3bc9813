"""The console's Field link tab: which units are on the link, what each was sent and answered, a conversation
with each (unread counted until read), broadcasts and keys; everything through dispatch/hub/ops.py."""
