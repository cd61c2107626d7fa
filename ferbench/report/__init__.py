"""The generated markdown leaderboard and its figures, from stored results alone.

``write`` reads run directories into a ``ReportData`` (``data``; records grouped by
``groups``) and writes one page per analysis, each from its own module: ``leaderboard``
(README.md), ``cross``, ``per_class``, ``confusion``, ``calibration``, ``curves``,
``robustness``, ``explanations`` and ``results_csv``. ``tables`` and ``plots`` hold what the
pages share; ``reference`` reads the published CD-FER figures the cross page shows.
"""
