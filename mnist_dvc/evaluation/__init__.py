"""How good the models are and why: metrics, robustness under corruption, explanations."""
