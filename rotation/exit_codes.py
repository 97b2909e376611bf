"""Exit codes of every command (SPEC §6), in one place."""

EXIT_OK = 0  # done
EXIT_INPUT = 1  # bad input or usage
EXIT_RULES = 2  # the rules cannot all be met
