"""Transport adapters: each turns native updates into `Incoming` and replies into sends."""
