import json


def load_settings(path):
    with open(path) as f:
        return json.load(f)


def save_settings(path, settings):
    with open(path, "w") as f:
        json.dump(settings, f)
