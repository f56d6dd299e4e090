"""The knowledge base (TOML data, pl + en) and the matcher. No I/O at match time."""
