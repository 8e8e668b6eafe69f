"""Transport: how sources reach the outside world. ``http`` (the one polite Wikimedia client: User-Agent, retries,
Retry-After, size and time limits) and ``snapshots`` (recording live answers and replaying them offline through the
same client). Below every source; knows nothing of what the answers mean.
"""
