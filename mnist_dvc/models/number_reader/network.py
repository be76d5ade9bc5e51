"""The number reader's network: convolutions that read the writing's columns, a bidirectional GRU that
reads each column in the light of its neighbours, and a class (a digit or CTC's blank) per column."""

from __future__ import annotations

import torch
from torch import nn

from mnist_dvc.models.number_reader.sequence import BLANK, INPUT_HEIGHT


def _block(c_in: int, c_out: int, pool: tuple[int, int]) -> list[nn.Module]:
    return [
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
        nn.MaxPool2d(pool),
    ]


class NumberReaderNet(nn.Module):
    """(N, 1, INPUT_HEIGHT, INPUT_WIDTH) writing -> (N, STEPS, BLANK + 1) log-probabilities. Two poolings
    halve both sides (a step is 4 input columns), two more only the height, which leaves 2 rows."""

    def __init__(self, width: int = 16, hidden: int = 128):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            *_block(1, w, (2, 2)), *_block(w, 2 * w, (2, 2)), *_block(2 * w, 4 * w, (2, 1)),
            *_block(4 * w, 4 * w, (2, 1)),
        )  # fmt: skip
        self.rnn = nn.GRU(4 * w * (INPUT_HEIGHT // 16), hidden, batch_first=True, bidirectional=True)
        self.classes = nn.Linear(2 * hidden, BLANK + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.features(x)  # (N, C, 2, STEPS)
        columns = maps.flatten(1, 2).transpose(1, 2)  # (N, STEPS, C * 2)
        return self.classes(self.rnn(columns)[0]).log_softmax(-1)
