"""Recipes for shipped files: the reader's adapter (reader_ce) and the int8 encoder's statistics (smooth_stats)."""
