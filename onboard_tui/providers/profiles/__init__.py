"""The shipped provider profiles (a package only so that setuptools ships the data files)."""
