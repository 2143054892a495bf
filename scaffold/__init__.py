"""scaffold: generate hardened CI/CD kits and keep them secure."""

__version__ = "0.1.0"
