import sys

from bot.cli import main

# Guarded: pack work runs in spawned processes, which import the main module again.
if __name__ == "__main__":
    sys.exit(main())
