"""PyTorch models, the one training/evaluation loop both torch stages share, and checkpoints."""
