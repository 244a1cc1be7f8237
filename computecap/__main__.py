"""``python -m computecap`` runs the command-line interface."""

from computecap.cli import main

if __name__ == "__main__":
    main()
