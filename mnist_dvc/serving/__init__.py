"""Using the trained models: `mnist-dvc predict`, the app and the command that starts them."""
