"""Training: the corpus, its augmentation (contrast, negation), the suites, and the trainers of each model family."""
