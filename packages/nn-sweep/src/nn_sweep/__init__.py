"""nn-sweep: ``nn sweep`` (many nn runs on Dask distributed) and ``nn ensemble``.

The commands reach ``nn`` through nn-core's ``nn_register_commands`` hook
(:mod:`nn_sweep.plugin`); Dask is imported only when a sweep runs.
"""

__version__ = "0.2.0"
