from openim_config.cli import entry

entry()
