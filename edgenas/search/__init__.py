"""The search: rewards, algorithms over PyGlove DNA, and the loop that drives them.

`edgenas.search` itself is the search function (see `edgenas.search.loop`); import
the modules with `from edgenas.search.rewards import ...`.
"""
