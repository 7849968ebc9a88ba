from app.settings import load_settings


def main():
    print(load_settings("settings.json"))
