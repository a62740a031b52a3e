"""Pure machine learning for the tutor: request parsing, data checks, training, metrics.

Only `training.request` and `training.errors` are meant for the bot process; they import
nothing heavy. Everything else (trainer, metrics, plots, predict) is for worker processes.
"""
