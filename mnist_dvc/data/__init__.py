"""Getting MNIST and the prepared data set: IDX files, fetching, the splits and their format."""
