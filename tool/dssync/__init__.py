"""dssync: audit and sync vendored copies of upstream Python constants modules."""

__version__ = "0.1.0"
