from openim_config.launcher import entry

entry()
