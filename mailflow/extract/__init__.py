"""Bytes to values: parsing mail and attached files into domain objects."""
