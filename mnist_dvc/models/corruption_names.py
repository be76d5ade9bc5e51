"""The names of the corruptions and their severities: what params.yaml may name, without the code.

Every stage reads its params, so this module is in every stage's import closure: it holds names only,
so that editing what a corruption does reruns only the stages that apply it (dvc.yaml).
"""

SEVERITIES = 5  # each corruption has severities 1 to 5 (0 leaves the images unchanged)
# What a phone photo or another pen does to a digit (mnist_dvc/models/photo_effects.py): the trainers
# may apply these while training (param `corrupt`), and the robustness stage measures them.
PHOTO_EFFECTS = ("noise", "blur", "thicker", "thinner", "contrast")
# Everything the robustness stage can measure (mnist_dvc/evaluation/corruptions.py), in its order.
CORRUPTIONS = ("shift", "rotation", "scale", "noise", "blur", "thicker", "thinner", "occlusion", "inversion",
               "contrast")  # fmt: skip
