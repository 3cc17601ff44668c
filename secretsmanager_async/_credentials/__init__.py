"""Credentials and where they come from.

``base`` holds the value type and the provider protocol; the provider chain lives beside it.
"""
