"""The pipeline's models as a static web page (the ``web`` stage): their ONNX twins, ONNX Runtime Web and
the page (web/ at the project's root), written to site/."""
