"""The number reader's training (stage train_number_reader): a small convolutional-recurrent network
that reads a written number whole, trained with CTC on numbers written from MNIST's training digits.
Its use in reading pictures, without torch, is mnist_dvc/reading/number_reader.py."""
