"""The models: the registry, the two families and their training, the one loader, ONNX, calibration."""
