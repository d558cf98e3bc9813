"""Operators: accounts with a role and a password, logins, lock-out; the permission table the hub enforces.

Every change to an account is an event (`account.*`); the argon2 hash itself lives only in the
store's `account_credentials` table (never in an event payload, so no export, replay file or
`ctl events` carries it). The event names the credential row and its SHA-256 fingerprint, which
binds the row to the log: a row altered behind the log's back no longer verifies.
"""
