"""The typed core behind ``dssync.api``, one module per question it answers.

The commands import only the module they need (a warm ``diff`` is mostly start-up, and every
dataclass created at import costs it); scripts import ``dssync.api``, which re-exports them all.
"""
