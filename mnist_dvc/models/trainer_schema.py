"""The params every trainer's group shares (params.yaml ``train_*``), with one meaning each: the families'
params.py add their own keys to these."""

from __future__ import annotations

from mnist_dvc.models.photo_effects import PHOTO_EFFECTS, SEVERITIES
from mnist_dvc.validation import Validator, boolean, choice, group, integer, number

# Keys every trainer's params group shares, with one meaning each, so `dvc exp run -S train_X.<key>=...`
# works alike in every trainer wherever the idea exists (the families' params.py add their own).
OPTIMIZATION: dict[str, Validator] = {
    "lr": number(0, 10, lo_open=True),  # the peak rate for onecycle
    "momentum": number(0, 1, hi_open=True),  # heavy-ball momentum's beta, and Adam's beta1
    "adam_beta2": number(0, 1, hi_open=True),  # Adam's (and AdamW's) beta2
    # constant | cosine (to 0) | onecycle (cosine up from lr/25 over warmup_epochs, then down to lr/1e4)
    "schedule": choice("constant", "cosine", "onecycle"),
    "warmup_epochs": number(0, 1000),  # onecycle: epochs to the peak; others: linear warm-up
    "batch_size": integer(1, 65536),  # 1 = the notebook's per-sample SGD
    "epochs": integer(1, 10000),
}
AVERAGING_AND_AUGMENTATION: dict[str, Validator] = {
    # Validate and keep an exponential moving average of the weights (updated every step); 0 = off.
    "ema_decay": number(0, 1, hi_open=True),
    "augment": boolean(),  # a random rotation/scale/shift per training image, on whole batches
    "augment_strength": number(0, 3),  # 1 = up to ±15°, ±10% scale, ±3 px
    # Augment in the first N epochs only, so the last ones fit clean digits; null = every epoch.
    "augment_epochs": integer(0, 10000, nullable=True),
    # In the augmented epochs, a share of the training images get one of these corruptions (what photos
    # do to a digit: models/photo_effects.py), each at a random severity up to the one given; 0 = never.
    "corrupt": group({name: integer(0, SEVERITIES) for name in PHOTO_EFFECTS}),
    "corrupt_share": number(0, 1),
}
