"""``python -m pbr_model`` runs the ``pbr`` command line."""

from .cli import main

if __name__ == "__main__":
    main()
