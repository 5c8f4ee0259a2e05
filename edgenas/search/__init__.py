"""The search: rewards, algorithms over PyGlove DNA, and the loop that drives them."""
