"""The moto release every adaptation in :mod:`local.engine` and :mod:`local.emulation` is written for."""

MOTO_VERSION = "5.2.5"
