"""nn-sweep's entry point: the ``sweep`` and ``ensemble`` commands and the ``nn plot sweep`` picture.

Every ``nn`` command imports this module, so it imports nothing heavy:
handlers live in :mod:`nn_sweep.commands` and import Dask when they run.
"""

from __future__ import annotations

import argparse
from typing import Any

from nn_core.hookspecs import hookimpl


def _sweep(args: argparse.Namespace, plugins: Any) -> int:
    from nn_sweep.commands import cmd_sweep

    return cmd_sweep(args, plugins)


def _ensemble(args: argparse.Namespace, plugins: Any) -> int:
    from nn_sweep.commands import cmd_ensemble

    return cmd_ensemble(args, plugins)


def _plot_sweep(args: argparse.Namespace, plugins: Any) -> int:
    from nn_sweep.commands import cmd_plot_sweep

    return cmd_plot_sweep(args, plugins)


@hookimpl
def nn_register_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from nn_core.commands import add_plot_kind

    p = subparsers.add_parser("sweep", help="run a sweep file's trials on Dask (local cluster or --address)")
    p.add_argument("sweep", help="sweep file (YAML or JSON): spec, search, params, objective")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="directory for trials.jsonl and models")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default 2; 0: run trials in this process)"
    )
    where.add_argument("--address", metavar="tcp://HOST:PORT", help="a running Dask scheduler")
    where.add_argument("--scheduler-file", metavar="FILE", help="a running Dask scheduler's file")
    p.add_argument("--resume", action="store_true", help="continue a sweep in DIR, skipping finished trials")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(handler=_sweep)

    p = subparsers.add_parser("ensemble", help="one model file averaging the best sweep trials (or given models)")
    p.add_argument("sources", nargs="+", metavar="RUNS_OR_MODEL", help="a sweep's output directory, or model files")
    p.add_argument("--top", type=int, default=5, metavar="K", help="best K trials of a sweep (default 5)")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="ensemble model file to write")
    p.set_defaults(handler=_ensemble)

    add_plot_kind(subparsers, "sweep", _plot_sweep, "a sweep directory's objective against each parameter")
