"""The commands, one module per family; ``cli.COMMANDS`` names each and loads it on first use."""
