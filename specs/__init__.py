"""Bundled spec data (TOML); installed as ``computecap.specs``."""
