import os


def cache_path(key):
    return os.path.join("/tmp/cache", key)


def purge_stale(entries, now):
    for entry in entries:
        if entry.expires < now:
            os.remove(cache_path(entry.key))
