"""The `aigw` command."""
