"""Turning document files into chunks in the store."""
