"""Access: who may see and do what, and the network's own settings."""
