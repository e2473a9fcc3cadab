"""Sub-commands of the ``tnpu`` command line, one module each (see :mod:`tnpu.cli`)."""
