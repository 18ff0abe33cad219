"""``python -m bot`` runs the ``learnpulse`` command line."""

from bot.cli import main

main()
